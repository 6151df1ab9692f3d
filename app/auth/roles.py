"""Doorstep's roles as ODK Central names them on the wire (`GET /v1/roles`), with Central's ids
where Central has the role: pyodk grants a form with role id 2 without looking it up
(pyodk/_endpoints/projects.py), and Central's own seed data gives `app-user` that id.

Only `app-user` can be assigned on a form (Central's form-level role for phones); web users'
roles are set on the user, town-wide or for villages, never per form. `verbs` are Doorstep's
permission names (app/auth/actors.py PERMISSIONS) that the role holds.
"""
from dataclasses import dataclass

from app.auth.actors import PERMISSIONS
from app.problems import Problem


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    system: str        # Central's system name: what /roles/<system> and assignments accept
    doorstep: str      # the Actor.role it stands for

    @property
    def verbs(self):
        return sorted(p for p, roles in PERMISSIONS.items() if self.doorstep in roles)


APP_USER = Role(2, "App User", "app-user", "app_user")
ROLES = (
    Role(1, "Administrator", "admin", "admin"),
    APP_USER,
    Role(6, "Project Viewer", "viewer", "viewer"),
    # Central has no village supervisor; an id above Central's own keeps clear of them
    Role(101, "Village Supervisor", "supervisor", "supervisor"),
)


def role(param):
    """The role named by id ("2") or system name ("app-user"), as Central reads the path:
    a name has a lowercase letter in it. Unknown: 404.1."""
    key = "system" if any("a" <= c <= "z" for c in param) else "id"
    found = next((r for r in ROLES if str(getattr(r, key)) == param), None)
    if found is None:
        raise Problem("404.1")
    return found
