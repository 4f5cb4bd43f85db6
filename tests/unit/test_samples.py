"""The sample data the demo and the tests rely on: valid, consistent, and fair."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from samples.make_photos import DELIBERATELY_MISSING
from telar.models import Buyer, OrderRequest, ReferenceData

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ORDER_FILES = sorted((SAMPLES / "orders").glob("*.json"))
SKILLS = ("knitting", "embroidery", "sewing", "jewelry", "crochet")


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text(encoding="utf-8"))


def test_reference_has_every_kind_of_group_and_about_forty_to_fifty_makers(ref):
    # Given the sample reference data (validated by the fixture)
    # Then it has every kind of group in both countries and a realistic number of makers
    assert {g.kind for g in ref.groups} == {"prison", "emergency_centre", "rural_mothers_group"}
    assert {g.country for g in ref.groups} == {"PE", "TH"}
    assert 40 <= len(ref.makers) <= 50
    assert len({m.worker_id for m in ref.makers}) == len(ref.makers)
    assert {m.group_id for m in ref.makers} == {g.group_id for g in ref.groups}


@pytest.mark.parametrize(
    ("group_id", "makers", "hours_per_day", "days_per_week"),
    [("pe-cusco", 15, 5, 5), ("th-chiangmai", 10, 6, 5)],
)
def test_prison_teams_have_their_size_and_hours(ref, group_id, makers, hours_per_day, days_per_week):
    # Given a prison team
    group = ref.group(group_id)
    # Then it has its number of active makers and its working time
    assert len(ref.makers_of(group_id)) == makers
    assert group.hours_per_day == hours_per_day
    assert group.days_per_week == days_per_week


def test_country_settings_are_consistent(ref):
    # Given every group, Then its currency, language and time zone belong to its country
    expected = {
        "PE": ("PEN", "es", "America/Lima", "national"),
        "TH": ("THB", "th", "Asia/Bangkok", "Chiang Mai/Mueang"),
    }
    for group in ref.groups:
        assert (group.currency, group.language, group.timezone, group.region) == expected[group.country]


def test_every_skill_is_found_in_at_least_two_groups(ref):
    # Given the skills products need and the groups' active makers
    needed = {p.skill for p in ref.products} | set(SKILLS)
    for skill in needed:
        # Then at least two groups can make it, so no product depends on a single group
        groups = {g.group_id for g in ref.groups if ref.makers_of(g.group_id, skill)}
        assert len(groups) >= 2, f"{skill} only in {groups}"


def test_consent_flags_cover_every_combination_that_matters(ref):
    # Given the makers' consent in force today
    today = date(2026, 11, 23)
    combos = set()
    for m in ref.makers:
        c = m.consent_on(today)
        combos.add((c.photo, c.name, c.story, m.alias is not None))
    # Then the cards meet full consent, name only, alias only, photo only, story with alias, and none
    for combo in [
        (True, True, True, False),
        (False, True, False, False),
        (False, False, False, True),
        (True, False, False, False),
        (False, False, True, True),
        (False, False, False, False),
        (True, False, False, True),
        (True, False, True, False),
    ]:
        assert combo in combos, combo


def test_every_maker_has_dated_consent_and_one_has_withdrawn_her_photo(ref):
    # Given the makers' consent records
    # Then each maker has at least one dated change,
    assert all(m.consent for m in ref.makers)
    # and a withdrawal is among them: a photo agreed to first and withdrawn later, so the demo shows it
    withdrawn = [m for m in ref.makers if m.consent[0].photo and not m.consent[-1].photo]
    assert [m.worker_id for m in withdrawn] == ["CUS-13"]
    assert withdrawn[0].photo_file, "her photo is still on file: the cards must leave it out by date alone"


def test_stories_only_where_agreed_and_never_naming_a_maker_who_withheld_her_name(ref):
    # Given makers with stories, some of whom agreed to a story but not to their name (else nothing is checked)
    with_story = [m for m in ref.makers if m.story]
    assert any(c.story and not c.name for m in with_story for c in m.consent)
    for maker in ref.makers:
        if maker.story:
            assert any(c.story for c in maker.consent), maker.worker_id
            for change in maker.consent:
                if change.story and not change.name:
                    assert maker.first_name not in maker.story, maker.worker_id


def test_photo_files_exist_except_the_deliberately_missing_one(ref):
    # Given the makers who ever agreed to a photo
    files = {m.photo_file for m in ref.makers if any(c.photo for c in m.consent) and m.photo_file}
    # Then no photo is filed without consent,
    assert files == {m.photo_file for m in ref.makers if m.photo_file}
    # the deliberately missing one is among them and absent, and all the others exist and are small PNGs
    assert files >= DELIBERATELY_MISSING
    for name in sorted(files):
        path = SAMPLES / "photos" / name
        if name in DELIBERATELY_MISSING:
            assert not path.exists(), name
            continue
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(data) < 20_000, name


def test_catalog_has_rates_in_both_currencies_care_texts_and_sane_limits(ref):
    for product in ref.products:
        assert set(product.piece_rates) == {"PEN", "THB"}, product.sku
        assert {"es", "en", "th"} <= set(product.care_instructions), product.sku
        assert 1 <= product.min_quantity < product.max_quantity, product.sku
        assert product.defect_codes, product.sku


def test_piece_rates_pay_at_least_the_minimum_wage_at_standard_speed(ref):
    # Given the minimum wage in force for each currency's groups
    on = date(2027, 3, 1)
    hourly = {g.currency: ref.minimum_wage(g, on).hourly for g in ref.groups}
    for product in ref.products:
        for currency, rate in product.piece_rates.items():
            # Then a maker working at standard speed earns at least the minimum, before any top-up
            per_hour = rate / (product.standard_minutes / Decimal(60))
            assert per_hour >= hourly[currency], (product.sku, currency, per_hour)


def test_wage_rules_in_force(ref):
    # Given the Peru and Chiang Mai groups on a day in 2025
    on = date(2025, 6, 1)
    peru = ref.minimum_wage(ref.group("pe-cusco"), on)
    thai = ref.minimum_wage(ref.group("th-chiangmai"), on)
    # Then RMV S/ 1,130 covers 48 h x 52 / 12 = 208 h a month, and 380 THB covers an 8-hour day
    assert (peru.amount, peru.unit, peru.hours_covered) == (Decimal(1130), "month", Decimal(208))
    assert Decimal(48 * 52) / 12 == peru.hours_covered
    assert (thai.amount, thai.unit, thai.hours_covered) == (Decimal(380), "day", Decimal(8))


def test_buyers_have_distinct_long_sample_keys():
    # Given the sample buyers
    buyers = json.loads((SAMPLES / "buyers.json").read_text(encoding="utf-8"))
    assert len(buyers) == 2
    keys = [b["api_key"] for b in buyers]
    # Then each is a valid Buyer once its key is taken away, and the keys are long, distinct sample keys
    for raw in buyers:
        Buyer.model_validate({k: v for k, v in raw.items() if k != "api_key"})
    assert len(set(keys)) == 2
    assert all(k.startswith("tlr_sample_") and len(k) >= 32 for k in keys)
    assert {b["language"] for b in buyers} == {"en", "es"}


def test_there_are_two_sample_orders():
    assert len(ORDER_FILES) == 2


@pytest.mark.parametrize("path", ORDER_FILES, ids=lambda p: p.name)
def test_sample_orders_are_valid_and_within_the_catalog(ref, path):
    # Given a sample order body
    order = OrderRequest.model_validate_json(path.read_text(encoding="utf-8"))
    # Then its SKUs exist, quantities are within limits, and it needs several skills
    skills = set()
    for line in order.lines:
        product = ref.product(line.sku)
        assert product.min_quantity <= line.quantity <= product.max_quantity, line.sku
        skills.add(product.skill)
    assert len(skills) >= 3
    assert 30 <= sum(line.quantity for line in order.lines) <= 100
    assert order.requested_ship_date >= date(2027, 1, 1)
