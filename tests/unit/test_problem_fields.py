from kernel.problems import _field_of


def test_missing_field_is_named():
    assert _field_of("Object missing required field `email`", "data") == "email"


def test_nested_missing_field_is_named_with_its_path():
    assert _field_of("Object missing required field `name` - at `$.venue`", "data") == "venue.name"


def test_wrong_type_names_the_path():
    assert _field_of("Expected `int`, got `str` - at `$.seats`", "data") == "seats"


def test_query_parameter_keeps_its_key():
    assert _field_of("Expected `int`, got `str`", "limit") == "limit"


def test_litestar_style_nested_missing_field():
    assert _field_of("Object missing required field `address`", "venue") == "venue.address"


def test_malformed_body_names_the_body():
    assert _field_of("JSON is malformed", "data") == "body"
