"""The official Descope Python SDK against the emulator (run through compat/run.sh).

Each test uses fresh login IDs, so the tests are independent although they share one emulator.
"""

import os
import re
import subprocess
import uuid

import httpx
import pytest
from descope import AuthException, DescopeClient, RateLimitException
from descope.management.common import (
    AssociatedTenant,
    MgmtLoginOptions,
    MgmtSignUpOptions,
    MgmtUserRequest,
)
from descope.management.user import UserObj

URL = os.environ["DESCOPE_EMULATOR_URL"]
PROJECT_ID = os.environ["DESCOPE_PROJECT_ID"]
MANAGEMENT_KEY = os.environ["DESCOPE_MANAGEMENT_KEY"]


@pytest.fixture(scope="module")
def client():
    # base_url is the SDK's documented override (env DESCOPE_BASE_URI works too).
    return DescopeClient(project_id=PROJECT_ID, management_key=MANAGEMENT_KEY, base_url=URL)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def mint(**body):
    """A session token from the emulator's test-only endpoint."""
    response = httpx.post(f"{URL}/emulator/session", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_license_handshake_sets_the_rate_limit_tier(client):
    assert client._mgmt_http_client.rate_limit_tier == "tier4"


def test_wrong_management_key_is_refused_with_401():
    bad = DescopeClient(project_id=PROJECT_ID, management_key="not-the-key", base_url=URL)
    with pytest.raises(AuthException) as err:
        bad.mgmt.user.load(unique("nobody"))
    assert err.value.status_code == 401
    assert "errorCode" in err.value.error_message


def test_create_load_and_duplicate(client):
    login = unique("alice")
    created = client.mgmt.user.create(
        login_id=login,
        email=login,
        phone="+15555550100",
        display_name="Alice Liddell",
        given_name="Alice",
        family_name="Liddell",
        verified_email=True,
        additional_login_ids=["alice-alias-" + login],
    )["user"]
    assert created["loginIds"] == [login, "alice-alias-" + login]
    assert created["userId"].startswith("U2")
    assert created["name"] == "Alice Liddell"
    assert created["status"] == "enabled"
    assert created["verifiedEmail"] is True

    by_login = client.mgmt.user.load(login)["user"]
    by_id = client.mgmt.user.load_by_user_id(created["userId"])["user"]
    assert by_login == by_id == created

    with pytest.raises(AuthException) as err:
        client.mgmt.user.create(login_id=login, email=login)
    assert err.value.status_code == 400
    assert "E062107" in err.value.error_message


def test_invite_batch_reports_created_and_failed_users(client):
    existing = unique("existing")
    client.mgmt.user.create(login_id=existing)
    fresh = [unique("batch") for _ in range(3)]
    users = [UserObj(login_id=l, email=l, display_name=f"User {i}") for i, l in enumerate(fresh)]
    users.append(UserObj(login_id=existing))
    users.append(UserObj(login_id=unique("disabled"), status="disabled"))

    result = client.mgmt.user.invite_batch(users, send_mail=False, send_sms=False)

    created = {u["loginIds"][0]: u for u in result["createdUsers"]}
    assert set(fresh) <= set(created)
    assert all(created[l]["status"] == "invited" for l in fresh)
    assert [u["status"] for u in result["createdUsers"] if u["loginIds"][0] not in fresh] == ["disabled"]
    assert len(result["failedUsers"]) == 1
    assert "E062107" in result["failedUsers"][0]["failure"]
    assert result["failedUsers"][0]["user"]["loginIds"] == [existing]


def test_roles_tenants_and_search(client):
    suffix = uuid.uuid4().hex[:8]
    reader, writer = f"reader-{suffix}", f"writer-{suffix}"
    client.mgmt.role.create(reader, description="reads", permission_names=["docs.read"])
    client.mgmt.role.create(writer, permission_names=["docs.write"])
    all_roles = {r["name"]: r for r in client.mgmt.role.load_all()["roles"]}
    assert all_roles[reader]["permissionNames"] == ["docs.read"]
    found = client.mgmt.role.search(role_names=[writer])["roles"]
    assert [r["name"] for r in found] == [writer]
    with pytest.raises(AuthException):
        client.mgmt.role.create(reader)

    tenant_id = f"T2compat{suffix}"
    assert client.mgmt.tenant.create(name=f"Acme {suffix}", id=tenant_id)["id"] == tenant_id
    generated = client.mgmt.tenant.create(name=f"Globex {suffix}")["id"]
    assert generated.startswith("T2")
    tenants = {t["id"] for t in client.mgmt.tenant.load_all()["tenants"]}
    assert {tenant_id, generated} <= tenants

    logins = [unique(f"member{i}") for i in range(5)]
    for login in logins:
        client.mgmt.user.create(login_id=login, email=login)
    client.mgmt.user.add_roles(logins[0], [reader])
    client.mgmt.user.add_roles(logins[1], [reader, writer])
    client.mgmt.user.add_tenant(logins[2], tenant_id)
    client.mgmt.user.add_tenant_roles(logins[2], tenant_id, [writer])
    client.mgmt.user.deactivate(logins[3])

    readers = client.mgmt.user.search_all(role_names=[reader])
    assert sorted(u["loginIds"][0] for u in readers["users"]) == sorted(logins[:2])
    assert readers["total"] == 2

    member = client.mgmt.user.search_all(tenant_ids=[tenant_id])["users"]
    assert [u["loginIds"][0] for u in member] == [logins[2]]
    assert member[0]["userTenants"][0]["roleNames"] == [writer]
    assert member[0]["userTenants"][0]["permissions"] == ["docs.write"]

    disabled = client.mgmt.user.search_all(login_ids=logins, statuses=["disabled"])["users"]
    assert [u["loginIds"][0] for u in disabled] == [logins[3]]

    first = client.mgmt.user.search_all(login_ids=logins, limit=2, page=0)
    third = client.mgmt.user.search_all(login_ids=logins, limit=2, page=2)
    assert first["total"] == third["total"] == 5
    assert [u["loginIds"][0] for u in first["users"]] == logins[:2]
    assert [u["loginIds"][0] for u in third["users"]] == logins[4:]


def test_custom_attributes_are_typed(client):
    name = f"dept{uuid.uuid4().hex[:6]}"
    # The SDK sends a type name; the emulator answers with the integer code.
    client.mgmt.user.create_custom_attribute(name=name, display_name="Department", type="string")
    defs = {d["name"]: d for d in client.mgmt.user.load_custom_attributes()["data"]}
    assert defs[name]["type"] == 1

    login = unique("attr")
    client.mgmt.user.create(login_id=login, custom_attributes={name: "R&D"})
    updated = client.mgmt.user.update_custom_attribute(login, name, "Sales")["user"]
    assert updated["customAttributes"] == {name: "Sales"}
    with pytest.raises(AuthException) as wrong_type:
        client.mgmt.user.update_custom_attribute(login, name, 42)
    assert "E011003" in wrong_type.value.error_message
    with pytest.raises(AuthException) as undefined:
        client.mgmt.user.update_custom_attribute(login, "noSuchAttribute", "x")
    assert "E011003" in undefined.value.error_message


def test_sdk_validates_emulator_session_tokens(client):
    suffix = uuid.uuid4().hex[:8]
    role = f"admin-{suffix}"
    client.mgmt.role.create(role, permission_names=["users.manage"])
    tenant = client.mgmt.tenant.create(name=f"Tenant {suffix}")["id"]
    login = unique("session")
    user = client.mgmt.user.create(
        login_id=login, role_names=[role], user_tenants=[AssociatedTenant(tenant, [role])]
    )["user"]

    for form in ("projectId", "url", "appsUrl"):
        token = mint(loginId=login, issuerForm=form, tenant=tenant)
        session = client.validate_session(token)
        assert session["userId"] == user["userId"]
        assert session["projectId"] == PROJECT_ID
        assert client.validate_roles(session, [role])
        assert client.validate_permissions(session, ["users.manage"])
        assert client.validate_tenant_roles(session, tenant, [role])
        assert session["sessionToken"]["dct"] == tenant
        assert session["sessionToken"]["drn"] == "DS"


def test_sdk_refetches_keys_after_rotation(client):
    login = unique("rotate")
    client.mgmt.user.create(login_id=login)
    client.validate_session(mint(loginId=login))  # caches the current key
    rotated = httpx.post(f"{URL}/emulator/keys/rotate", json={}, timeout=10).json()
    token = mint(loginId=login)
    assert client.validate_session(token)["sessionToken"]["sub"]
    assert rotated["kid"] in rotated["keys"]


def test_sdk_rejects_expired_tokens(client):
    login = unique("expired")
    client.mgmt.user.create(login_id=login)
    with pytest.raises(AuthException):
        client.validate_session(mint(loginId=login, expiresIn=-60))


def test_sdk_reads_the_rate_limit_answer():
    """A second emulator with Descope's limits, 6x faster: the 101st create is refused and the SDK
    raises RateLimitException with the Retry-After seconds (60 s backoff / 6)."""
    args = [os.environ["DESCOPE_EMULATOR_BIN"], "--listen", "127.0.0.1:0", "--project-id", PROJECT_ID,
            "--management-key", MANAGEMENT_KEY, "--rate-limits", "--time-scale", "6"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = re.match(r"descope-emulator listening on (\S+) ", proc.stdout.readline()).group(1)
        limited = DescopeClient(project_id=PROJECT_ID, management_key=MANAGEMENT_KEY, base_url=url)
        for i in range(100):
            limited.mgmt.user.create(login_id=f"rl{i}")
        with pytest.raises(RateLimitException) as err:
            limited.mgmt.user.create(login_id="rl-too-many")
        assert err.value.status_code == "E130429"  # the SDK puts errorCode here
        assert err.value.error_type == "API rate limit exceeded"
        assert err.value.rate_limit_parameters == {"Retry-After": 10}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_management_sign_in_gives_a_session_the_sdk_validates(client):
    login = unique("mgmt-signin")
    user = client.mgmt.user.create(login_id=login)["user"]

    first = client.mgmt.jwt.sign_in(login)
    # The SDK verified both JWTs against the emulator's keys on the way in.
    assert first["sessionToken"]["sub"] == user["userId"]
    assert first["refreshSessionToken"]["drn"] == "DSR"
    assert first["userId"] == user["userId"]
    assert first["projectId"] == PROJECT_ID
    assert first["user"]["userId"] == user["userId"]
    assert first["firstSeen"] is True
    assert client.validate_session(first["sessionToken"]["jwt"])["userId"] == user["userId"]

    options = MgmtLoginOptions(
        custom_claims={"migratedFrom": "cognito"}, refresh_duration=3600, revoke_other_sessions=True
    )
    second = client.mgmt.jwt.sign_in(login, options)
    session, refresh = second["sessionToken"], second["refreshSessionToken"]
    assert second["firstSeen"] is False
    assert session["migratedFrom"] == "cognito"
    assert refresh["exp"] - refresh["iat"] == 3600
    # 2.16.1 returns the body as it comes; the emulator answers {"usersAuthHistory": [...]}
    # (go-sdk reads a bare array: see the README's note on history).
    history = client.mgmt.user.history([user["userId"]])
    entries = history["usersAuthHistory"] if isinstance(history, dict) else history
    assert len(entries) == 2


def test_management_sign_in_refuses_unknown_and_disabled_users(client):
    with pytest.raises(AuthException) as unknown:
        client.mgmt.jwt.sign_in(unique("nobody"))
    assert unknown.value.status_code == 400
    assert "E112102" in unknown.value.error_message

    login = unique("disabled")
    client.mgmt.user.create(login_id=login)
    client.mgmt.user.deactivate(login)
    with pytest.raises(AuthException) as disabled:
        client.mgmt.jwt.sign_in(login)
    assert disabled.value.status_code == 400


def test_password_sign_in_with_an_active_password(client):
    login = unique("password")
    user = client.mgmt.user.create(login_id=login)["user"]
    client.mgmt.user.set_active_password(login, "Correct-Horse-1")

    signed_in = client.password.sign_in(login, "Correct-Horse-1")
    assert signed_in["sessionToken"]["sub"] == user["userId"]
    assert signed_in["refreshSessionToken"]["sub"] == user["userId"]
    assert signed_in["userId"] == user["userId"]
    assert client.validate_session(signed_in["sessionToken"]["jwt"])["userId"] == user["userId"]

    with pytest.raises(AuthException) as wrong:
        client.password.sign_in(login, "not-the-password")
    assert wrong.value.status_code == 401
    assert "E062901" in wrong.value.error_message


def test_temporary_and_expired_passwords_give_no_session(client):
    login = unique("temporary")
    client.mgmt.user.create(login_id=login)
    client.mgmt.user.set_temporary_password(login, "Temp-Pass-1")
    with pytest.raises(AuthException) as temporary:
        client.password.sign_in(login, "Temp-Pass-1")
    assert temporary.value.status_code == 401
    assert "E062909" in temporary.value.error_message

    client.mgmt.user.set_active_password(login, "Temp-Pass-1")
    client.password.sign_in(login, "Temp-Pass-1")
    client.mgmt.user.expire_password(login)
    with pytest.raises(AuthException) as expired:
        client.password.sign_in(login, "Temp-Pass-1")
    assert "E062909" in expired.value.error_message


def test_management_sign_up_and_sign_up_or_in(client):
    login = unique("signup")
    created = client.mgmt.jwt.sign_up(
        login,
        MgmtUserRequest(name="Sign Up", email=login, email_verified=True),
        MgmtSignUpOptions(custom_claims={"via": "signup"}, refresh_duration=900),
    )
    assert created["firstSeen"] is True
    assert created["user"]["name"] == "Sign Up"
    assert created["sessionToken"]["via"] == "signup"
    assert created["sessionToken"]["sub"] == created["user"]["userId"]
    with pytest.raises(AuthException) as taken:
        client.mgmt.jwt.sign_up(login)
    assert "E062107" in taken.value.error_message
    again = client.mgmt.jwt.sign_up_or_in(login)
    assert again["userId"] == created["userId"]
    assert again["firstSeen"] is False
