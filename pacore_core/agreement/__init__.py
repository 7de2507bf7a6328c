"""Verification without the user's tests: generated inputs, execution agreement between
candidates, and the disagreement evidence that goes into the next round's messages.

Data flow: `inputs` (hypothesis from type hints + model-written inputs, validated) ->
`execution` (each candidate on every input, one sandbox run) -> `clustering` (behaviour
signatures) -> `evidence` (message text) and `ranking` (tests first, then agreement);
`session` holds one run's state for the engine.
"""
