"""Crisis phrasings that must and must not trigger. Extend both lists together."""

import time

import pytest

from moderation.crisis import find_crisis_phrases, suggests_crisis

MUST_TRIGGER = [
    "I want to die.",
    "Honestly I just wanna die today",
    "Some days I think about killing myself",
    "I've been thinking about ending my life",
    "Everyone would be better off without me",
    "I'm better off dead at this point",
    "I don't want to live like this anymore",
    "I do not want to be alive",
    "i dont want to live anymore",
    "I cannot go on much longer",
    "I can't go on, the pain never stops",
    "I feel suicidal again tonight",
    "Started self-harming again last week",
    "I cut myself last night",
    "There is no reason to live with this illness",
    "I can\u2019t stop wanting to die",  # curly apostrophe, and "stop" undoes the negation
    "I WANT TO END IT ALL",
    "Thinking about overdosing on my meds",
    "I wish I was dead.",
    "Not sure anyone cares. I want to kill myself",  # the negation sits in another sentence
    "I'm scared I will hurt myself",
    "Fatigue is awful, but honestly I want to die",
]

MUST_NOT_TRIGGER = [
    "This brain fog is killing me",
    "I'm dying to try the new pacing app",
    "I could kill myself laughing at that meme",
    "I am not suicidal, just exhausted",
    "I'm no longer suicidal, the new support helps",
    "I would never kill myself, I have my kids",
    "I don't want to die, I want to get better",
    "The crash nearly killed my weekend plans",
    "My physio says I'm killing it with the exercises",
    "Kill the lights, migraine day",
    "I killed three hours on the sofa",
    "Our fundraiser will end in April",
    "Can someone recommend a good selfie stick",
    "My cat tried to hurt the dog",
    "Harmless question about salt loading",
    "What a suicidally boring waiting room",  # a different word, not the phrase
]


@pytest.mark.parametrize("text", MUST_TRIGGER)
def test_it_recognises_crisis_phrasing(text):
    assert suggests_crisis(text), text


@pytest.mark.parametrize("text", MUST_NOT_TRIGGER)
def test_it_ignores_negated_and_idiomatic_phrasing(text):
    assert not suggests_crisis(text), (text, find_crisis_phrases(text))


def test_detection_reads_only_a_bounded_prefix_quickly():
    started = time.process_time()
    assert not suggests_crisis("tired " * 200_000)
    assert time.process_time() - started < 2
