from roman import to_roman


def test_docstring_example():
    assert to_roman(1994) == "MCMXCIV"


def test_small_numbers():
    assert [to_roman(i) for i in range(1, 10)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"
    ]


def test_largest():
    assert to_roman(3999) == "MMMCMXCIX"
