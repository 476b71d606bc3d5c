"""Admin pages: invite people, list them, change role and team, disable, end sessions."""

from flask import Blueprint, Flask, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from sync.problems import ApiError
from webapp import accounts, sessions
from webapp.config import current_config
from webapp.database import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLE_LABELS = {"volunteer": _l("Volunteer"), "coordinator": _l("Coordinator"),
               "auditor": _l("Auditor"), "admin": _l("Administrator")}


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


class InviteForm(PersonForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Create the enrolment link"))


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class EndSessionsForm(FlaskForm):
    pass


def person_or_404(user_id: str) -> dict:
    person = accounts.get_user(get_db(), user_id)
    if person is None:
        raise NotFound()
    return person


@bp.get("/")
def people() -> str:
    return render_template("admin/people.html", people=accounts.list_people(get_db()), role_labels=ROLE_LABELS)


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> str:
    form = InviteForm()
    form.fill_teams()
    link = None
    if form.validate_on_submit():
        token = accounts.invite(get_db(), current_config(), email=form.email.data.strip().lower(),
                                role=form.role.data, team_id=form.team.data or None,
                                created_by=g.user["id"], now=current_config().now())
        link = accounts.enrolment_link(get_db(), current_config().base_url, token)
    return render_template("admin/invite.html", form=form, link=link)


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
    active = sessions.list_sessions(user_id)
    return render_template("admin/person.html", person=person, form=form, status_form=StatusForm(),
                           end_form=EndSessionsForm(), sessions=active, role_labels=ROLE_LABELS)


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
    ended = sessions.end_all_sessions(user_id, actor=g.user["id"], now=current_config().now())
    flash(_("%(count)d session(s) ended.", count=ended))
    return redirect(url_for("admin.person", user_id=user_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
