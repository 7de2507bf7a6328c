"""The running example of the oracle tests: `max_subarray`, a wrong program that the user's
one test (a positive answer) cannot tell from the right one, and the test itself."""

from __future__ import annotations

SIGNATURE = "def max_subarray(nums: list[int]) -> int:\n"
DOCSTRING = '    """The largest sum of a non-empty contiguous run of `nums` (which is not empty)."""\n'
STUB = SIGNATURE + DOCSTRING + "    ...\n"


def user_test(module: str) -> str:
    """The user's one test, importing the stub from `module`: the empty-run bug passes it."""
    return (f"from {module} import max_subarray\n\n\n"
            "def test_mixed():\n    assert max_subarray([-1, 2, 3, -2, 4]) == 7\n")


# the empty run counts: wrong on all-negative lists, right on the user's test
WRONG = SIGNATURE + '''    best = cur = 0
    for x in nums:
        cur = max(0, cur + x)
        best = max(best, cur)
    return best
'''
RIGHT = SIGNATURE + '''    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
'''
# every run summed; raises on the empty list, outside its domain
BRUTE_BODY = '''    if not nums:
        raise ValueError("no run in an empty list")
    return max(sum(nums[i:j]) for i in range(len(nums)) for j in range(i + 1, len(nums) + 1))
'''
