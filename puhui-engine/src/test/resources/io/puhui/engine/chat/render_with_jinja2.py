# Regenerates conformance-jinja2.json: what Python's Jinja2, set up as transformers' apply_chat_template sets it up,
# renders for every shared template and every scenario in conformance-scenarios.json.
# Run from this directory with Jinja2 3.1 installed:  python3 render_with_jinja2.py <shared>/templates
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone.utc)  # the clock ChatTemplate is given in the test

# Templates whose system role ChatTemplate folds into the first user turn; the reference gets the same messages.
FOLDED = {"google-gemma-2-2b-it.jinja", "microsoft-Phi-3-mini-4k-instruct.from-ggml-vocab-phi-3.jinja"}


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def fold_system(messages):
    lead = 0
    while lead < len(messages) and messages[lead]["role"] == "system":
        lead += 1
    if lead == 0 or lead == len(messages) or messages[lead]["role"] != "user":
        return messages
    prefix = "".join(m["content"] + "\n\n" for m in messages[:lead] if m["content"])
    first = dict(messages[lead], content=prefix + (messages[lead]["content"] or ""))
    return [first] + messages[lead + 1:]


def main(template_dir):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    with open("conformance-scenarios.json", encoding="utf-8") as f:
        scenarios = json.load(f)
    reference = {}
    for name in sorted(os.listdir(template_dir)):
        if not name.endswith(".jinja"):
            continue
        with open(os.path.join(template_dir, name), encoding="utf-8") as f:
            template = env.from_string(f.read())
        for s in scenarios:
            messages = fold_system(s["messages"]) if name in FOLDED else s["messages"]
            try:
                reference[name + "|" + s["name"]] = template.render(
                    messages=messages, add_generation_prompt=s["add_generation_prompt"],
                    bos_token="<BOS>", eos_token="<EOS>", **s["vars"])
            except Exception:
                pass  # where Jinja2 fails (e.g. None + str), ChatTemplate is lenient; nothing to compare
    with open("conformance-jinja2.json", "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
