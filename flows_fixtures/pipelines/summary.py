"""Prompts and summaries for the CL3 fixture: a missing prompt raises, it never falls back."""

PROMPTS = {"summarize": "Summarize the text in three sentences."}


def get_prompt(name: str) -> str:
    return PROMPTS[name]


def summarize(prompt: str) -> str:
    return prompt.upper()
