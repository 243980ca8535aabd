"""Follow-up emails become keys that match one inbox however it was typed, and reveal no address."""
import pandas as pd

from etl.read import email_keys


def keys(*addresses, survey="drugs-review"):
    return email_keys(pd.Series(list(addresses), dtype="string"), survey).tolist()


def test_one_inbox_typed_several_ways_is_one_key():
    found = keys("Jo.Jones@Gmail.com", " jojones+llais@googlemail.com ", "jojones@gmail.com")
    assert len(set(found)) == 1


def test_different_inboxes_differ_and_dots_matter_outside_gmail():
    found = keys("jo.jones@example.org", "jojones@example.org", "jo.jones+x@example.org")
    assert found[0] != found[1] and found[0] == found[2]


def test_no_address_or_no_at_sign_gives_no_key():
    assert [pd.isna(k) for k in keys(None, "", "   ", "not an address")] == [True] * 4


def test_keys_hide_the_address_and_differ_between_surveys():
    (key,) = keys("jo@example.org")
    assert "jo" not in key and len(key) == 24
    assert keys("jo@example.org", survey="another-survey") != [key]
