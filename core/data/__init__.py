"""Tables in, prepared rows out: reading any file a person drops in, guessing and checking its columns, the
quality report and its fixes, splitting, and the built-in samples. Pure table logic: nothing here keeps files.

- `reading/`: files of every supported format to a table, saying what was read, left out and changed
- `preparation`: which columns hold the texts and labels, and the rows a run trains on
- `labels`: a label column cleaned as the person chose
- `quality`, `quality_scan`, `text_keys`: the quality report, what its checks share, the keys texts are compared by
- `splitting`: the train / validation / test split
- `samples`: the sample datasets pip packages carry
"""
