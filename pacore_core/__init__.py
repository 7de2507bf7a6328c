"""PaCoRe engine: pure and async, knowing no editor or terminal (the front ends render it).

Data flow: `loaders` turn files into a `problem.Problem` whose statement `statement` renders
from a template (`prompting`, `templates/`); `engine` runs the rounds: `backends` sample,
`code_extract` and `verification` judge each candidate in a `sandbox.base.Sandbox`,
`compaction` and `budget` build the next round's references, `selection` (with
`agreement`) picks the answer; `events` report progress and `record` keeps everything,
written and read back through `files`. `config` is the one table of settings, `errors` the
one error model.
"""
