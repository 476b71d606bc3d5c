"""Admin pages: invite people, list them, change role and team, disable, end sessions, issue a
passphrase reset link, create teams."""

from datetime import datetime, timezone

from flask import Blueprint, Flask, flash, g, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from sync import accounts, factors, sessions, validation
from sync.errors import DomainError
from sync.problems import ApiError
from webapp.config import current_config
from webapp.database import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLE_LABELS = {"volunteer": _l("Volunteer"), "coordinator": _l("Coordinator"),
               "auditor": _l("Auditor"), "admin": _l("Administrator")}
CERTIFICATION_LABELS = {"certified": _l("Certified"), "outdated": _l("Certified for older keys, role or team"),
                        "revoked": _l("Certification revoked"), "not-certified": _l("Not certified yet"),
                        "no-keys": _l("No keys yet"),
                        "invalid": _l("Its certificate does not verify: do not trust these keys.")}
KIND_LABELS = {"enrol": _l("Enrolment"), "reset": _l("Passphrase reset")}


class PersonForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()],
                       validators=[DataRequired()])
    team = SelectField(_l("Team"), choices=[])
    submit = SubmitField(_l("Save"))

    def fill_teams(self) -> None:
        teams = accounts.list_teams(get_db())
        self.team.choices = [SelectChoice("", _("No team"))] + [SelectChoice(t["id"], t["name"]) for t in teams]

    def validate_team(self, field: SelectField) -> None:
        if self.role.data in accounts.TEAM_ROLES and not field.data:
            raise ValidationError(_("Choose a team for this role."))


def plain_email(_form: FlaskForm, field: EmailField) -> None:
    """The same check as the API's and the command line's (``sync.validation.email``)."""
    try:
        field.data = validation.email((field.data or "").strip())
    except ValueError:
        raise ValidationError(_("Enter an email address, such as name@example.org.")) from None


class InviteForm(PersonForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254), plain_email])
    submit = SubmitField(_l("Create the enrolment link"))


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    retention = IntegerField(_l("Days volunteers' devices keep synced cases (empty: always)"),
                             validators=[Optional(), NumberRange(min=0, max=36500)])
    rotation = IntegerField(_l("Rotate case keys every N days (empty: on removal and on demand only)"),
                            validators=[Optional(), NumberRange(min=1, max=36500)])
    second_factor = BooleanField(_l("Volunteers and coordinators log in with a security key"))
    submit = SubmitField(_l("Create the team"))


class ResetForm(FlaskForm):
    pass


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class EndSessionsForm(FlaskForm):
    pass


class ResetFactorsForm(FlaskForm):
    pass


def person_or_404(user_id: str) -> dict:
    person = accounts.get_user(get_db(), user_id)
    if person is None:
        raise NotFound()
    return person


def local_time(seconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, tz=timezone.utc), "medium")


def link_result(link: str, expires_at: int) -> dict[str, str]:
    return {"url": link, "expires": local_time(expires_at)}


@bp.get("/")
def people() -> str:
    conn = get_db()
    pending = [dict(i, expires=local_time(i["expires_at"]))
               for i in accounts.pending_invitations(conn, current_config().now())]
    return render_template("admin/people.html", people=accounts.people_overview(conn), pending=pending,
                           role_labels=ROLE_LABELS, certification_labels=CERTIFICATION_LABELS,
                           kind_labels=KIND_LABELS)


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> str:
    form = InviteForm()
    form.fill_teams()
    link = None
    if form.validate_on_submit():
        config, conn = current_config(), get_db()
        try:
            token = accounts.invite(conn, config, email=form.email.data, role=form.role.data,
                                    team_id=form.team.data or None, created_by=g.user["id"], now=config.now())
        except DomainError as error:
            if error.code != "account-exists":
                raise
            form.email.errors = [_("This address already has an account. If the person lost their passphrase, "
                                   "open their page and issue a passphrase reset link.")]
        else:
            link = link_result(accounts.enrolment_link(conn, config.base_url, token),
                               config.now() + config.invitation_ttl_seconds)
    return render_template("admin/invite.html", form=form, link=link)


@bp.route("/teams", methods=["GET", "POST"])
def teams() -> str | Response:
    form = TeamForm()
    conn = get_db()
    if form.validate_on_submit():
        now = current_config().now()
        try:
            team_id = accounts.create_team(conn, form.name.data.strip(), now, actor=g.user["id"])
        except DomainError as error:
            if error.code != "team-exists":
                raise
            form.name.errors = [_("A team with this name already exists.")]
        else:
            if form.retention.data is not None or form.rotation.data is not None or form.second_factor.data:
                accounts.set_team_policy(conn, team_id, retention_days=form.retention.data,
                                         rotation_days=form.rotation.data, now=now, actor=g.user["id"],
                                         second_factor=bool(form.second_factor.data))
            flash(_("Team created."))
            return redirect(url_for("admin.teams"))
    listed = [accounts.team_policy(conn, t["id"]) for t in accounts.list_teams(conn)]
    return render_template("admin/teams.html", form=form, teams=listed)


@bp.route("/people/<user_id>", methods=["GET", "POST"])
def person(user_id: str) -> str | Response:
    person = person_or_404(user_id)
    form = PersonForm(data={"role": person["role"], "team": person["team_id"] or ""})
    form.fill_teams()
    if form.validate_on_submit():
        accounts.update_person(get_db(), user_id, role=form.role.data, team_id=form.team.data or None,
                               now=current_config().now(), actor=g.user["id"])
        flash(_("Saved."))
        return redirect(url_for("admin.person", user_id=user_id))
    active = sessions.list_sessions(get_db(), user_id)
    return render_template("admin/person.html", person=person, form=form, status_form=StatusForm(),
                           end_form=EndSessionsForm(), reset_form=ResetForm(), sessions=active,
                           role_labels=ROLE_LABELS, factors_form=ResetFactorsForm(),
                           factors=factors.list_factors(get_db(), user_id))


@bp.post("/people/<user_id>/reset")
def issue_reset(user_id: str) -> str:
    person = person_or_404(user_id)
    if not ResetForm().validate_on_submit():
        raise ApiError("bad-request")
    config, conn = current_config(), get_db()
    token = accounts.issue_reset(conn, config, user_id=user_id, created_by=g.user["id"], now=config.now())
    link = link_result(accounts.enrolment_link(conn, config.base_url, token),
                       config.now() + config.invitation_ttl_seconds)
    return render_template("admin/reset.html", person=person, link=link)


@bp.post("/people/<user_id>/status")
def set_status(user_id: str) -> Response:
    person_or_404(user_id)
    form = StatusForm()
    if not form.validate_on_submit() or form.status.data not in ("active", "disabled"):
        raise ApiError("bad-request")
    if user_id == g.user["id"]:
        # An admin disabling themselves could leave the association without any admin.
        raise ApiError("forbidden")
    accounts.set_status(get_db(), user_id, form.status.data, current_config().now(), actor=g.user["id"])
    flash(_("Account disabled.") if form.status.data == "disabled" else _("Account enabled."))
    return redirect(url_for("admin.person", user_id=user_id))


@bp.post("/people/<user_id>/sessions/end")
def end_sessions(user_id: str) -> Response:
    person_or_404(user_id)
    if not EndSessionsForm().validate_on_submit():
        raise ApiError("bad-request")
    ended = sessions.end_all_sessions(get_db(), user_id, actor=g.user["id"], now=current_config().now())
    flash(ngettext("%(num)d session ended.", "%(num)d sessions ended.", ended))
    return redirect(url_for("admin.person", user_id=user_id))


@bp.post("/people/<user_id>/factors/reset")
def reset_factors(user_id: str) -> Response:
    """Delete the person's security keys and recovery codes and end their sessions: their next
    login registers a first security key again."""
    person_or_404(user_id)
    if not ResetFactorsForm().validate_on_submit():
        raise ApiError("bad-request")
    factors.reset(get_db(), user_id, actor=g.user["id"], now=current_config().now())
    flash(_("Security keys reset: the person registers a new one at their next login."))
    return redirect(url_for("admin.person", user_id=user_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
