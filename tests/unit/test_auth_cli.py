"""`python -m telar.auth`: operators issue, list and revoke buyers' keys; only hashes are ever stored."""

from datetime import UTC, datetime

import pytest

from telar import auth
from telar.auth import __main__ as cli
from telar.models import Buyer
from telar.models.api_key import ApiKey
from tests.fakes import MemorySecrets

BUYER = Buyer(buyer_id="fairloom", name="Fairloom", email="orders@fairloom.example")


class _KeyTable:
    """The key table in memory, standing in for ``DynamoAuth(table)`` (what the CLI builds from --table).

    Its state is on the class, reset for each test, because the CLI builds its own instance.
    """

    tables: list[str] = []
    keys: dict[str, ApiKey] = {}
    revoked: list[str] = []

    def __init__(self, table: str) -> None:
        self.tables.append(table)

    def get_buyer(self, buyer_id: str) -> Buyer | None:
        return BUYER if buyer_id == BUYER.buyer_id else None

    def put_api_key(self, buyer_id: str, key_hash: str) -> ApiKey:
        key = ApiKey(key_hash=key_hash, buyer_id=buyer_id, issued_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
        self.keys[key_hash] = key
        return key

    def api_keys_of(self, buyer_id: str) -> list[ApiKey]:
        return [k for k in self.keys.values() if k.buyer_id == buyer_id and k.key_hash not in self.revoked]

    def revoke_api_key(self, key_hash: str) -> None:
        self.revoked.append(key_hash)


@pytest.fixture(autouse=True)
def key_table(monkeypatch: pytest.MonkeyPatch) -> type[_KeyTable]:
    monkeypatch.setattr(cli, "DynamoAuth", _KeyTable)
    monkeypatch.setattr(_KeyTable, "tables", [])
    monkeypatch.setattr(_KeyTable, "keys", {})
    monkeypatch.setattr(_KeyTable, "revoked", [])
    return _KeyTable


def test_issue_prints_the_key_once_and_stores_only_its_hash(
    key_table: type[_KeyTable], capsys: pytest.CaptureFixture[str]
) -> None:
    # When an operator issues a key for a buyer
    assert cli.main(["--table", "telar-TelarTable", "issue", "fairloom"]) == 0
    # Then the table named on the command line was used
    assert key_table.tables == ["telar-TelarTable"]
    # And the key is printed on its own line after the sentence naming its id and the buyer
    sentence, key = capsys.readouterr().out.splitlines()
    [stored] = key_table.keys.values()
    assert key.startswith("tlr_") and stored.key_hash == auth.hash_api_key(key) and key not in stored.key_hash
    assert sentence == f"key id {stored.key_id} for fairloom; give the buyer this key, it is not shown again:"


def test_list_prints_each_key_id_with_its_issue_time(
    key_table: type[_KeyTable], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a buyer with one key
    cli.main(["--table", "t", "issue", "fairloom"])
    capsys.readouterr()
    [stored] = key_table.keys.values()
    # When the operator lists her keys
    assert cli.main(["--table", "t", "list", "fairloom"]) == 0
    # Then each key shows its id and when it was issued, in UTC
    assert capsys.readouterr().out == f"{stored.key_id}  issued 2026-12-04 09:30 UTC\n"


def test_revoke_by_the_listed_id_revokes_that_key_only(
    key_table: type[_KeyTable], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a buyer with two keys (rotation)
    cli.main(["--table", "t", "issue", "fairloom"])
    cli.main(["--table", "t", "issue", "fairloom"])
    capsys.readouterr()
    old, new = key_table.keys.values()
    # When the operator revokes the old one by the id `list` shows
    assert cli.main(["--table", "t", "revoke", "fairloom", old.key_id]) == 0
    # Then only that key is revoked, and the answer says so and how long the cache may still accept it
    assert key_table.revoked == [old.key_hash]
    assert capsys.readouterr().out == f"revoked {old.key_id} of fairloom (cached answers expire within a minute)\n"
    assert cli.main(["--table", "t", "list", "fairloom"]) == 0
    assert capsys.readouterr().out.startswith(new.key_id)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["issue", "nobody"], "error: no buyer 'nobody'\n"),
        (["revoke", "fairloom", "abc"], "error: 'abc' names 0 of the keys of 'fairloom'; see `list fairloom`\n"),
        (["revoke", "fairloom", ""], "error: '' names 0 of the keys of 'fairloom'; see `list fairloom`\n"),
    ],
)
def test_a_wrong_buyer_or_key_id_is_an_error_on_stderr_with_exit_2(
    argv: list[str], message: str, key_table: type[_KeyTable], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a buyer with a key
    cli.main(["--table", "t", "issue", "fairloom"])
    capsys.readouterr()
    # When the operator names a buyer or key that does not exist
    code = cli.main(["--table", "t", *argv])
    # Then the command fails with exit 2, says why on stderr, and changes nothing
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (2, "", message)
    assert key_table.revoked == [] and len(key_table.keys) == 1


def test_an_id_prefix_shared_by_two_keys_revokes_neither(
    key_table: type[_KeyTable], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two keys whose hashes start alike
    cli.main(["--table", "t", "issue", "fairloom"])
    [first] = key_table.keys.values()
    twin = first.key_hash[:4] + "f" * 60
    key_table.keys[twin] = first.model_copy(update={"key_hash": twin})
    capsys.readouterr()
    # When the operator revokes by the prefix they share
    assert cli.main(["--table", "t", "revoke", "fairloom", first.key_hash[:4]]) == 2
    # Then nothing is revoked, and the error says how many keys it named
    assert key_table.revoked == []
    assert "names 2 of the keys of 'fairloom'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["issue", "fairloom"], ["--table", "t"], ["--table", "t", "rotate", "x"]])
def test_a_command_line_without_table_or_known_command_is_refused_by_argparse(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2


def test_help_tells_an_operator_what_each_command_does(capsys: pytest.CaptureFixture[str]) -> None:
    # When an operator asks for help, on the command and on each subcommand
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    top = " ".join(capsys.readouterr().out.split())
    # Then the usage names the command to type, says what it is for, and explains every option and command
    for text in (
        "usage: python -m telar.auth [-h] --table TABLE {issue,list,revoke,webhook-secret}",
        "Issue, list and revoke buyers' keys; replace a buyer's webhook secret.",
        "--table TABLE the stack's TelarTable name",
        "issue a new key for a buyer (printed once)",
        "list a buyer's key ids, newest first",
        "revoke revoke one of a buyer's keys by its id",
        "webhook-secret a new webhook signing secret for a buyer (printed once)",
    ):
        assert text in top, (text, top)


def test_a_key_carries_256_random_bits() -> None:
    key = auth.new_api_key()
    assert len(key) == len("tlr_") + 43  # 32 bytes in URL-safe base64, unpadded


def test_webhook_secret_replaces_hers_under_the_path_given_and_prints_it_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack's secrets (standing in for SSM under --secrets-path) with her old secret
    made: dict[str, MemorySecrets] = {}

    def secrets_at(path: str) -> MemorySecrets:
        return made.setdefault(path, MemorySecrets())

    monkeypatch.setattr(cli, "WebhookSecrets", secrets_at)
    secrets_at("/telar/webhook-secrets/").create("fairloom", "whsec_old")
    # When the operator replaces it
    argv = ["--table", "t", "webhook-secret", "fairloom", "--secrets-path", "/telar/webhook-secrets/"]
    assert cli.main(argv) == 0
    # Then the new one is printed once, after a sentence, and is the one events are signed with
    sentence, secret = capsys.readouterr().out.splitlines()
    assert sentence.startswith("new webhook secret for fairloom") and secret.startswith("whsec_")
    assert made["/telar/webhook-secrets/"].get("fairloom") == secret != "whsec_old"
    # and an unknown buyer is an error that changes nothing
    assert cli.main([*argv[:3], "nobody", *argv[4:]]) == 2
    assert set(made["/telar/webhook-secrets/"].secrets) == {"fairloom"}
