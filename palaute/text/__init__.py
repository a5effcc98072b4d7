"""Text analytics: language, clauses, sentiment and CX themes for free-text answers (BRIEF §3).

The pure modules (``language``, ``tokens``, ``lemmas``, ``lexicon``, ``clauses``, ``sentiment``,
``themes``, ``classifier``, ``pipeline``) know nothing of Django; ``analysis`` stores results.
"""
