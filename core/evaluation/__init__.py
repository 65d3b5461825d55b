"""How good a finished run is: the test report, bootstrap intervals, curves, the mistakes behind a cell,
runs compared, which one to take, and how far to trust the confidence of one prediction.

- `report`: the report computed when training ends and saved beside the model
- `report_records`: what the report holds, part by part, and its JSON form
- `intervals`: bootstrap confidence intervals and paired comparisons
- `curves`: ROC, precision-recall, reliability
- `slices`: the test texts behind a confusion-matrix cell, and scores by text length
- `baseline`: the score of always answering the most common class
- `comparison`, `recommendation`: the runs of one dataset side by side, and which to take
- `trust`: how far to trust the confidence of one prediction, from how often predictions as sure were right
"""
