"""Labelling texts with active learning: a project of texts and the labels given to them (`project`), which text to
ask about next (`sampling`), the quick model refit every few labels (`learner`, `rounds`) and the labelled texts as
a dataset (`dataset`)."""
