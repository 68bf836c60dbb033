"""The frozen field module is the shared contract, id for id and constraint for constraint."""
from gongkai.extraction import fields as F
from gongkai.extraction.fields_sync import load_contract
from tests.conftest import SHARED, need_shared


def test_frozen_fields_match_the_shared_contract():
    need_shared()
    contract = load_contract(SHARED / "schema" / "fields.py")
    assert list(contract.ALL_FIELDS) == F.ALL_FIELDS
    assert [tuple(c) for c in contract.constraints()] == [tuple(c) for c in F.CONSTRAINTS]
    assert len(F.ALL_FIELDS) == 200 and len(F.CONSTRAINTS) == 42
