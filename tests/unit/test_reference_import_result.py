"""The reference import's result never shows the buyers' plain API keys (logs and tracebacks print reprs)."""

from telar.stages.reference_upload import ImportResult


def test_the_result_s_repr_names_the_buyers_but_not_their_keys() -> None:
    # Given a result carrying a freshly issued key
    result = ImportResult(version=3, changed=True, deactivated=(), new_keys={"buyer-fairloom": "tlr_secret"})
    # When it is printed, Then the buyer is named and the key is not
    assert "buyer-fairloom" in repr(result) and "tlr_secret" not in repr(result)
    assert "tlr_secret" not in str(result)
