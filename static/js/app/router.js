// Which screen the app shows, in one place: a screen is drawn through `show`, which notes its
// name, so that work finishing in the background (a sync, a roster refresh) redraws only the
// screen it belongs to and never a form being typed.

export class Router {
  constructor() {
    this.screen = "";
  }

  show(name, draw) {
    this.screen = name;
    noteWhere({ screen: name });
    return draw();
  }

  on(...names) {
    return names.includes(this.screen);
  }
}

// Where the person was, in terms that outlive a lock (no key, no content): the screen's name and
// the case it showed. After an unlock the app goes back there; the draft comes from the store.
let whereabouts = { screen: "home" };

export function noteWhere(place) {
  whereabouts = place;
}

export function lastWhere() {
  return whereabouts;
}
