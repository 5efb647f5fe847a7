"""Renders chat templates with real Jinja2, configured the way Hugging Face transformers'
`apply_chat_template` configures it, so the Rust renderer can be checked against the real engine.

Reads one JSON batch from stdin:
    {"now": [year, month, day, hour, minute, second],
     "templates": ["<jinja source>", ...],
     "contexts": [{"messages": [...], "add_generation_prompt": true, ...}, ...]}
and prints one JSON array per template, one entry per context:
    {"ok": "<rendered>"} | {"raised": "<message>"} | {"error": "<exception type>: <message>"}
A template that does not compile gets {"error": ...} for every context.

The environment follows transformers' documented behaviour: an ImmutableSandboxedEnvironment
with trim_blocks, lstrip_blocks and the loop-controls extension; `tojson` replaced by Python's
json.dumps (no HTML escaping, keyword arguments passed through); the globals `raise_exception`
(raises a TemplateError with the template's message) and `strftime_now` (here at a fixed moment
so renderings are reproducible); and `{% generation %}` blocks that render their body unchanged.
Contexts are passed as keyword arguments of `render`, as transformers passes its variables.
"""

import datetime
import json
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateRaised(jinja2.exceptions.TemplateError):
    """What `raise_exception` raises, so it can be told apart from engine errors."""


class GenerationBlock(Extension):
    """`{% generation %}...{% endgeneration %}`: renders its body as a call block."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        call = self.call_method("_render_body")
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def make_environment(now):
    def raise_exception(message):
        raise TemplateRaised(message)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            indent=indent,
            separators=separators,
            sort_keys=sort_keys,
        )

    def strftime_now(fmt):
        return now.strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[GenerationBlock, "jinja2.ext.loopcontrols"],
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render_one(template, context):
    try:
        return {"ok": template.render(**context)}
    except TemplateRaised as err:
        return {"raised": str(err)}
    except Exception as err:  # the engine's own failures (TypeError, OverflowError, ...)
        return {"error": f"{type(err).__name__}: {err}"}


def main():
    batch = json.load(sys.stdin)
    now = datetime.datetime(*batch["now"])
    env = make_environment(now)
    results = []
    for source in batch["templates"]:
        try:
            template = env.from_string(source)
        except Exception as err:
            failure = {"error": f"{type(err).__name__}: {err}"}
            results.append([failure for _ in batch["contexts"]])
            continue
        results.append([render_one(template, context) for context in batch["contexts"]])
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
