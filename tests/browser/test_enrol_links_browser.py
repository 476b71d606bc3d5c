"""What the enrolment page says before its form: a link whose address already has an account,
and a link cut off in the middle of its association part."""

from playwright.sync_api import Page, expect

from tests.browser.test_app import enrol
from tests.conftest import LiveServer


def test_a_second_invitation_for_an_enrolled_address_says_what_to_do(live_server: LiveServer, page: Page) -> None:
    """Given two invitations for one address, when the first has been used, then the second
    says so and points to a reset link, without showing the form."""
    email = "deux-liens@example.org"
    second = live_server.flask("invite", email, "--role", "volunteer", "--team", "Prisons").strip()
    enrol(live_server, page, email)
    page.goto(second)
    expect(page.locator("#enrol-error")).to_have_text(
        "Un compte existe déjà pour cette adresse. Si vous avez oublié votre phrase secrète, demandez à un "
        "administrateur ou une administratrice un lien de réinitialisation.")
    expect(page.locator("#enrol-form")).to_be_hidden()


def test_a_link_cut_off_in_its_association_part_says_so(live_server: LiveServer, page: Page) -> None:
    link = live_server.flask("invite", "coupe@example.org", "--role", "volunteer", "--team", "Prisons").strip()
    assert "&association=" in link
    page.goto(link[:-7])
    expect(page.locator("#enrol-error")).to_have_text(
        "Ce lien d’inscription est coupé : sa fin manque. Ouvrez le lien en entier, ou demandez-le à nouveau.")
    expect(page.locator("#enrol-form")).to_be_hidden()
    # The whole link still works: nothing was spent.
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator("#enrol-form")).to_be_visible()
