"""The runtime's chat formats against the real Jinja chat templates.

Renders the chat_template sources of real models (fixtures/chat_templates/, data from
the model cards) with jinja2, set up as Hugging Face transformers' apply_chat_template
sets it up, and compares with what the C++ renderer prints through sparsec-chat-render
(built with the runtime tests; SPARSEC_BUILD_DIR names the build tree, default build/).
The templates' leading BOS text is stripped first: the runtime prepends the BOS id
itself (runtime/formats/include/sparsec/formats/chat_template.h).
"""

import json
import subprocess
from pathlib import Path

import jinja2
import jinja2.ext
import jinja2.sandbox
import pytest

from conftest import build_tool

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "chat_templates"

# fixture -> (our format, bos_token, eos_token)
TEMPLATES = {
    "smollm2-instruct.jinja": ("chatml", "<|im_start|>", "<|im_end|>"),
    "llama2-chat.jinja": ("llama2", "<s>", "</s>"),
    "llama3-instruct.jinja": ("llama3", "<|begin_of_text|>", "<|eot_id|>"),
    "mistral-instruct.jinja": ("mistral", "<s>", "</s>"),
    "zephyr-7b-beta.jinja": ("zephyr", "<s>", "</s>"),
}

SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def sys_(text):
    return {"role": "system", "content": text}


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


CONVERSATIONS = {
    "one turn": [user("Hello!")],
    "one turn, system": [sys_("You are terse."), user("What is 2+2?")],
    "multi turn": [user("Hi"), assistant("Hello! How can I help?"), user("Tell me a joke.")],
    "multi turn, system": [
        sys_("Answer in French."), user("Good morning"), assistant("Bonjour !"),
        user("How are you?"), assistant("Très bien, merci."), user("Bye")],
    "whitespace and unicode": [
        sys_("  spaced system\n"), user("\u00a0 caf\u00e9 \u2014 \u65e5\u672c\u8a9e \n"),
        assistant("\t r\u00e9ponse  \n"), user("\u3000end\u3000")],
    "ends with assistant": [user("Q"), assistant("A")],
    "empty contents": [sys_(""), user(""), assistant(""), user("")],
}


def jinja_render(fixture, messages, add_generation_prompt):
    _, bos, eos = TEMPLATES[fixture]

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    # As transformers' _compile_jinja_template does.
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.globals["raise_exception"] = raise_exception
    template = env.from_string((FIXTURES / fixture).read_text())
    text = template.render(messages=messages, bos_token=bos, eos_token=eos,
                           add_generation_prompt=add_generation_prompt)
    fmt = TEMPLATES[fixture][0]
    if fmt in ("llama2", "llama3", "mistral"):
        assert text.startswith(bos) or not messages, text
        if text.startswith(bos):
            text = text[len(bos):]
    return text


def tool(request):
    r = subprocess.run([str(build_tool("sparsec-chat-render"))], input=json.dumps(request),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ours(fmt, messages, add_generation_prompt):
    return tool({"format": fmt, "messages": messages,
                 "add_generation_prompt": add_generation_prompt})


def expected_messages(fixture, messages):
    """SmolLM2's template adds its default system turn; our chatml does not,
    so the comparison passes that system message explicitly."""
    if fixture.startswith("smollm2") and (not messages or messages[0]["role"] != "system"):
        return [sys_(SMOLLM2_DEFAULT_SYSTEM)] + messages
    return messages


@pytest.mark.parametrize("fixture", sorted(TEMPLATES))
@pytest.mark.parametrize("conversation", sorted(CONVERSATIONS))
@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_render_matches_jinja(fixture, conversation, add_generation_prompt):
    messages = CONVERSATIONS[conversation]
    fmt = TEMPLATES[fixture][0]
    want = jinja_render(fixture, messages, add_generation_prompt)
    got = ours(fmt, expected_messages(fixture, messages), add_generation_prompt)
    assert got == want


def test_chatml_has_no_default_system_turn():
    # Without a system message SmolLM2's template differs from plain ChatML by
    # exactly its default system turn.
    messages = [user("Hi")]
    jinja = jinja_render("smollm2-instruct.jinja", messages, True)
    default = f"<|im_start|>system\n{SMOLLM2_DEFAULT_SYSTEM}<|im_end|>\n"
    assert jinja == default + ours("chatml", messages, True)


@pytest.mark.parametrize("fixture", sorted(TEMPLATES))
@pytest.mark.parametrize("conversation", ["one turn", "one turn, system", "multi turn, system",
                                          "whitespace and unicode"])
@pytest.mark.parametrize("reply", ["Sure, here it is.", "  padded reply\n", ""])
def test_continuation_is_what_the_template_adds(fixture, conversation, reply):
    """An --interactive turn feeds only the continuation after the model's reply."""
    fmt = TEMPLATES[fixture][0]
    start = [m for m in CONVERSATIONS[conversation]]
    if start[-1]["role"] != "user":
        start = start[:-1]
    longer = start + [assistant(reply), user(" and then? ")]
    before = jinja_render(fixture, start, True)
    after = jinja_render(fixture, longer, True)
    assert after.startswith(before)
    reply_text = tool({"reply_format": fmt, "reply": reply})
    continuation = tool({"format": fmt, "continuation": " and then? ",
                         "add_generation_prompt": True})
    assert after[len(before):] == reply_text + continuation


@pytest.mark.parametrize("fixture", sorted(TEMPLATES) + ["gemma-it.jinja"])
def test_detection(fixture):
    want = TEMPLATES[fixture][0] if fixture in TEMPLATES else ""
    assert tool({"detect": (FIXTURES / fixture).read_text()}) == want


@pytest.mark.parametrize("fixture", ["llama2-chat.jinja", "mistral-instruct.jinja"])
def test_rejects_what_the_template_rejects(fixture):
    messages = [user("a"), user("b")]
    with pytest.raises(jinja2.exceptions.TemplateError):
        jinja_render(fixture, messages, True)
    r = subprocess.run([str(build_tool("sparsec-chat-render"))],
                       input=json.dumps({"format": TEMPLATES[fixture][0], "messages": messages}),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "roles must alternate" in r.stderr
