// Which screen the app shows, in one place: a screen is drawn through `show`, which notes its
// name, so that work finishing in the background (a sync, a roster refresh) redraws only the
// screen it belongs to and never a form being typed.

export class Router {
  constructor() {
    this.screen = "";
  }

  show(name, draw) {
    this.screen = name;
    return draw();
  }

  on(...names) {
    return names.includes(this.screen);
  }
}
