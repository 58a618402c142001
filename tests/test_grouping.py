"""Training runs and metric pairs found from TensorBoard run and tag names."""

import pytest

from tb_overfit_plugin.analysis.grouping import ROOT_RUN, group_runs


def _describe(scalar_tags, histogram_tags=None):
    """{run: {metric: (train run:tag, validation run:tag, epoch_based)}} plus learning rates."""
    described = {}
    for run in group_runs(scalar_tags, histogram_tags or {}):
        described[run.name] = {
            pair.metric: (
                pair.train and f"{pair.train.run}:{pair.train.tag}",
                pair.validation and f"{pair.validation.run}:{pair.validation.tag}",
                pair.epoch_based,
            )
            for pair in run.metrics
        }
    return described


def test_keras_layout_pairs_train_and_validation_runs():
    runs = group_runs(
        {
            "exp/train": ["epoch_loss", "epoch_accuracy", "epoch_learning_rate"],
            "exp/validation": ["epoch_loss", "epoch_accuracy", "evaluation_loss_vs_iterations"],
        },
        {"exp/train": ["model/dense_1/kernel/histogram"]},
    )
    assert [run.name for run in runs] == ["exp"]
    (run,) = runs
    assert run.sources == ("exp/train", "exp/validation")
    assert [pair.metric for pair in run.metrics][:2] == ["loss", "accuracy"]
    loss = run.metric("LOSS")
    assert (loss.train.run, loss.train.tag) == ("exp/train", "epoch_loss")
    assert (loss.validation.run, loss.validation.tag) == ("exp/validation", "epoch_loss")
    assert loss.epoch_based
    assert run.default_monitor() is loss
    assert (run.learning_rate.run, run.learning_rate.tag) == ("exp/train", "epoch_learning_rate")
    assert [(ref.run, ref.tag) for ref in run.histograms] == [("exp/train", "model/dense_1/kernel/histogram")]


def test_keras_logdir_root_is_run_dot():
    assert _describe({"train": ["epoch_loss"], "validation": ["epoch_loss"]}) == {
        ROOT_RUN: {"loss": ("train:epoch_loss", "validation:epoch_loss", True)}
    }


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["loss", "val_loss"], ("r:loss", "r:val_loss", True)),  # TF1 Keras
        (["Loss/train", "Loss/test"], ("r:Loss/train", "r:Loss/test", False)),  # PyTorch tutorial
        (["Loss/train", "Loss/val", "Loss/test"], ("r:Loss/train", "r:Loss/val", False)),  # val beats test
        (["train/loss", "valid/loss"], ("r:train/loss", "r:valid/loss", False)),
        (["train_loss", "val_loss"], ("r:train_loss", "r:val_loss", False)),
        (["loss_train", "loss_validation"], ("r:loss_train", "r:loss_validation", False)),
        (["TRAIN_LOSS", "Val_Loss"], ("r:TRAIN_LOSS", "r:Val_Loss", False)),
    ],
)
def test_single_run_conventions(tags, expected):
    described = _describe({"r": tags})
    assert list(described) == ["r"]
    ((metric, pair),) = [(m, p) for m, p in described["r"].items() if m.lower() == "loss"]
    assert pair == expected


def test_pytorch_add_scalars_runs_group_under_parent():
    described = _describe(
        {"exp1/Loss_train": ["Loss"], "exp1/Loss_val": ["Loss"], "Acc_train": ["Acc"], "Acc_test": ["Acc"]}
    )
    assert described == {
        ROOT_RUN: {"Acc": ("Acc_train:Acc", "Acc_test:Acc", False)},
        "exp1": {"Loss": ("exp1/Loss_train:Loss", "exp1/Loss_val:Loss", False)},
    }


def test_tensorboardx_add_scalars_nested_runs_group_under_parent():
    described = _describe(
        {
            "exp1/Loss/train": ["Loss"],
            "exp1/Loss/val": ["Loss"],
            "exp1/Loss/total/train": ["Loss/total"],
            "exp1/Loss/total/test": ["Loss/total"],
        }
    )
    assert described == {
        "exp1": {
            "Loss": ("exp1/Loss/train:Loss", "exp1/Loss/val:Loss", False),
            "Loss/total": ("exp1/Loss/total/train:Loss/total", "exp1/Loss/total/test:Loss/total", False),
        }
    }


def test_run_named_like_a_split_without_its_main_tag_stays_its_own_run():
    # `model_test` holds no tag `model`, so it is not an add_scalars split run.
    assert _describe({"model_test": ["loss"]}) == {"model_test": {"loss": ("model_test:loss", None, False)}}


def test_default_monitor_prefers_validation_loss_then_first_validation_metric():
    (run,) = group_runs({"r": ["acc", "val_acc", "loss"]})
    assert run.default_monitor().metric == "acc"  # loss has no validation series
    (run,) = group_runs({"r": ["loss"]})
    assert run.default_monitor().metric == "loss" and run.default_monitor().validation is None
    (run,) = group_runs({}, {"r": ["w/histogram"]})
    assert run.default_monitor() is None


def test_learning_rate_tags_are_not_metrics():
    for tag in ("lr", "learning_rate", "learning rate", "LearningRate"):
        (run,) = group_runs({"r": ["loss", "val_loss", tag]})
        assert run.learning_rate.tag == tag
        assert [pair.metric for pair in run.metrics] == ["loss"]


def _names(scalar_tags, histogram_tags=None):
    return {run.name: list(run.sources) for run in group_runs(scalar_tags, histogram_tags or {})}


ULTRALYTICS_TAGS = ["train/box_loss", "val/box_loss", "metrics/mAP50-95(B)", "lr/pg0", "lr/pg1"]


@pytest.mark.parametrize(
    "scalar_tags, expected",
    [
        # A split-named folder is a split when it looks like one ...
        ({"a/train": ["loss"], "a/validation": ["loss"]}, {"a": ["a/train", "a/validation"]}),  # a split sibling
        ({"a/train": ["epoch_loss"]}, {"a": ["a/train"]}),  # Keras without validation data
        ({"est": ["loss"], "est/eval": ["loss"]}, {"est": ["est", "est/eval"]}),  # TF Estimator: the parent holds data
        ({"train": ["loss"], "test": ["loss"]}, {ROOT_RUN: ["test", "train"]}),
        # ... else it is a training run of its own (Ultralytics' first run folder).
        (
            {"runs/detect/train": ULTRALYTICS_TAGS, "runs/detect/train2": ULTRALYTICS_TAGS},
            {"runs/detect/train": ["runs/detect/train"], "runs/detect/train2": ["runs/detect/train2"]},
        ),
        ({"train": ULTRALYTICS_TAGS}, {"train": ["train"]}),
        ({"a/train": ["loss"]}, {"a/train": ["a/train"]}),
        # Its own tags naming both splits veto it, even beside a split sibling.
        ({"train": ULTRALYTICS_TAGS, "val": ["loss"]}, {"train": ["train"], ROOT_RUN: ["val"]}),
    ],
)
def test_folder_named_like_a_split_is_a_split_only_when_it_looks_like_one(scalar_tags, expected):
    assert _names(scalar_tags) == expected


def test_add_scalars_with_the_split_in_the_main_tag_or_the_key():
    torch = {
        f"v/{split}_performance_{key}": [f"{split}_performance"]
        for split in ("train", "val")
        for key in ("Accuracy", "loss")
    }
    tbx = {
        f"x/{split}_performance/{key}": [f"{split}_performance"]
        for split in ("train", "val")
        for key in ("Accuracy", "loss")
    }
    keyed = {"k/metrics_train_acc": ["metrics"], "k/metrics_val_acc": ["metrics"]}
    no_split = {"n/Loss_box": ["Loss"], "n/Loss_cls": ["Loss"]}
    described = _describe({**torch, **tbx, **keyed, **no_split})
    assert described["v"] == {
        "loss": ("v/train_performance_loss:train_performance", "v/val_performance_loss:val_performance", False),
        "Accuracy": (
            "v/train_performance_Accuracy:train_performance",
            "v/val_performance_Accuracy:val_performance",
            False,
        ),
    }
    assert described["x"]["Accuracy"] == (
        "x/train_performance/Accuracy:train_performance",
        "x/val_performance/Accuracy:val_performance",
        False,
    )
    assert described["k"] == {"acc": ("k/metrics_train_acc:metrics", "k/metrics_val_acc:metrics", False)}
    assert described["n"] == {
        "Loss/box": ("n/Loss_box:Loss", None, False),
        "Loss/cls": ("n/Loss_cls:Loss", None, False),
    }
    # One scalar tag per add_scalars run: a run holding more is a run of its own.
    assert _names({"exp_lr": ["exp", "loss"]}) == {"exp_lr": ["exp_lr"]}


def test_yolo_metrics_are_validation_series_and_lr_groups_learning_rates():
    (run,) = group_runs({"r": ULTRALYTICS_TAGS + ["metrics/precision(B)", "metrics/train_f1"]})
    assert [(p.metric, p.train, p.validation.tag) for p in run.metrics if p.train is None] == [
        ("mAP50-95(B)", None, "metrics/mAP50-95(B)"),
        ("precision(B)", None, "metrics/precision(B)"),
    ]
    assert run.metric("f1").train.tag == "metrics/train_f1"  # a split of its own wins
    assert run.learning_rate.tag == "lr/pg0"
    assert [pair.metric for pair in run.diagnostics] == ["lr/pg1"]


@pytest.mark.parametrize(
    "tag",
    [
        "lr",
        "x/lr0",
        "lr/pg2",
        "lr_pg1",
        "lr-Adam",
        "lr-Adam/pg1",
        "lr-SGD-1",
        "train/learning_rate",
        "LearningRate",
        "train_lr",
    ],
)
def test_learning_rate_names(tag):
    (run,) = group_runs({"r": ["loss", tag]})
    assert run.learning_rate.tag == tag and [pair.metric for pair in run.metrics] == ["loss"]


@pytest.mark.parametrize(
    "tag",
    [
        "eval/runtime",
        "eval/samples_per_second",
        "eval/steps_per_second",
        "train/total_flos",
        "train/train_runtime",
        "train/train_samples_per_second",
        "train/train_steps_per_second",
        "train/grad_norm",
        "grad_norm",
        "grad_2.0_norm_total",
        "hp_metric",
        "global_step/sec",
        "global_step",
        "epoch_steps_per_second",
        "evaluation_loss_vs_iterations",
        "batch_loss",
        "train_loss_step",
        "lr-Adam-momentum",
        "time/epoch_time",
        "memory",
    ],
)
def test_bookkeeping_tags_are_diagnostics(tag):
    (run,) = group_runs({"r": ["loss", "val_loss", tag]})
    assert [pair.metric for pair in run.metrics] == ["loss"]
    assert [ref.tag for pair in run.diagnostics for ref in pair.refs()] == [tag]
    assert run.metric(run.diagnostics[0].metric).refs() == run.diagnostics[0].refs()  # reachable by name


def test_epoch_series_and_hf_summary_loss():
    (hf,) = group_runs({"r": ["train/loss", "train/train_loss", "train/epoch", "eval/loss"]})
    assert hf.epoch.tag == "train/epoch"
    assert hf.metric("loss").train.tag == "train/loss"
    assert {pair.metric: pair.train.tag for pair in hf.diagnostics} == {
        "train_loss": "train/train_loss",
        "epoch": "train/epoch",
    }
    # Naming the split twice is the metric itself when nothing else logs it.
    (user,) = group_runs({"r": ["train/train_loss", "val/val_loss"]})
    assert [(p.metric, p.train.tag, p.validation.tag) for p in user.metrics] == [
        ("loss", "train/train_loss", "val/val_loss")
    ]
    (lightning,) = group_runs({"r": ["epoch", "train_loss_step", "train_loss_epoch", "val_loss", "hp_metric"]})
    assert lightning.epoch.tag == "epoch"
    assert [(p.metric, p.train.tag, p.validation.tag) for p in lightning.metrics] == [
        ("loss", "train_loss_epoch", "val_loss")
    ]


def test_unknown_tags_stay_metrics_of_their_own():
    (run,) = group_runs({"r": ["custom/score", "loss", "zeta"]})
    assert [pair.metric for pair in run.metrics] == ["loss", "custom/score", "zeta"]
    assert run.diagnostics == () and run.default_monitor().metric == "loss"


def test_a_reward_is_the_objective_and_the_losses_of_its_run_are_diagnostics():
    # Issue 18: before, `loss` was monitored here; a reward makes the run reinforcement learning.
    (run,) = group_runs({"r": ["reward_mean", "custom/score", "loss"]})
    assert [pair.metric for pair in run.metrics] == ["reward_mean", "custom/score"]
    assert [pair.metric for pair in run.diagnostics] == ["loss"]
    assert run.default_monitor().metric == "reward_mean"


def _pair_tags(tags):
    (run,) = group_runs({"r": tags})
    return {
        pair.metric: (pair.train and pair.train.tag, pair.validation and pair.validation.tag) for pair in run.metrics
    }


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["Training loss", "Test loss (avg on test)"], ("Training loss", "Test loss (avg on test)")),
        (["loss/trn", "loss/dev"], ("loss/trn", "loss/dev")),
        (["trainLoss", "valLoss"], ("trainLoss", "valLoss")),
        (["TrainLoss", "ValidLoss"], ("TrainLoss", "ValidLoss")),
        (["learn.loss", "holdout.loss"], ("learn.loss", "holdout.loss")),
        (["metrics/loss", "metrics/val_loss"], ("metrics/loss", "metrics/val_loss")),  # the twin names its split
        (["Loss [training]", "Loss [validation]"], ("Loss [training]", "Loss [validation]")),
    ],
)
def test_names_read_as_words_pair_train_and_validation(tags, expected):
    pairs = _pair_tags(tags)
    (loss,) = [pair for metric, pair in pairs.items() if "loss" in metric.lower()]
    assert loss == expected


def test_reward_twins_pair_across_words_and_episode_length_is_bookkeeping():
    (run,) = group_runs(
        {
            "r": [
                "rollout/ep_rew_mean",
                "eval/mean_reward",
                "rollout/ep_len_mean",
                "eval/mean_ep_length",
                "time/fps",
                "train/approx_kl",
                "train/clip_fraction",
                "train/entropy_loss",
                "train/explained_variance",
                "train/value_loss",
            ]
        }
    )
    (reward,) = run.metrics
    assert (reward.train.tag, reward.validation.tag) == ("rollout/ep_rew_mean", "eval/mean_reward")
    assert {ref.tag for pair in run.diagnostics for ref in pair.refs()} == {
        "rollout/ep_len_mean",
        "eval/mean_ep_length",
        "time/fps",
        "train/approx_kl",
        "train/clip_fraction",
        "train/entropy_loss",
        "train/explained_variance",
        "train/value_loss",
    }


def test_the_aggregate_loss_beats_its_components():
    (d2,) = group_runs(
        {"r": ["loss_box_reg", "loss_cls", "loss_rpn_cls", "total_loss", "data_time", "fast_rcnn/cls_accuracy"]}
    )
    assert d2.default_monitor().metric == "total_loss"
    assert [pair.metric for pair in d2.diagnostics] == ["data_time"]
    (tfod,) = group_runs(
        {
            "m/train": ["Loss/classification_loss", "Loss/total_loss"],
            "m/eval": ["Loss/classification_loss", "Loss/total_loss", "DetectionBoxes_Precision/mAP"],
        }
    )
    assert tfod.default_monitor().metric == "Loss/total_loss"


def test_a_known_evaluation_metric_without_split_word_is_validation():
    pairs = _pair_tags(["loss", "mIoU", "bleu", "f1", "accuracy"])
    assert pairs["mIoU"] == (None, "mIoU") and pairs["bleu"] == (None, "bleu") and pairs["f1"] == (None, "f1")
    assert pairs["accuracy"] == ("accuracy", None)  # may be a training metric: not known as evaluation-only
    assert _pair_tags(["f1", "train_f1"])["f1"] == ("train_f1", "f1")


def test_metric_asked_by_tag_name():
    (run,) = group_runs({"r": ["train/box_loss", "val/box_loss", "metrics/mAP_0.5:0.95"]})
    assert run.metric("metrics/mAP_0.5:0.95") is run.metric("mAP_0.5:0.95")
    assert run.metric("val/box_loss").metric == "box_loss"


def test_user_split_words():
    from tb_overfit_plugin.analysis.split_names import with_words

    tags = {"r": ["fit/loss", "check/loss"]}
    assert _pair_tags(tags["r"]) == {"fit/loss": ("fit/loss", None), "check/loss": ("check/loss", None)}
    (run,) = group_runs(tags, {}, with_words(("fit",), ("check",)))
    assert [(p.metric, p.train.tag, p.validation.tag) for p in run.metrics] == [("loss", "fit/loss", "check/loss")]
    assert sorted(
        group_runs({"a/fit": ["loss"], "a/check": ["loss"]}, {}, with_words(("fit",), ("check",)))[0].sources
    ) == ["a/check", "a/fit"]


def test_a_one_point_series_beside_a_curve_is_a_summary():
    tags = {"r": ["train/loss", "eval/loss", "loss"], "r/validation": []}
    (run,) = group_runs({"r": tags["r"]}, {}, summaries=frozenset({("r", "loss")}))
    (loss,) = run.metrics
    assert (loss.train.tag, loss.validation.tag) == ("train/loss", "eval/loss")
    assert [pair.metric for pair in run.diagnostics] == ["loss"] and run.diagnostics[0].train.tag == "loss"
    (alone,) = group_runs({"r": ["final_score"]}, {}, summaries=frozenset({("r", "final_score")}))
    assert [pair.metric for pair in alone.metrics] == ["final_score"]  # no curve beside it: still a metric


@pytest.mark.parametrize(
    "tags, expected",
    [
        # OpenNMT: `progress/` holds every metric of `valid/`: it is the train side.
        (["progress/xent", "progress/ppl", "progress/lr", "valid/xent", "valid/ppl"], ("progress/xent", "valid/xent")),
        # A train prefix exists: `progress/` is no split, `xent` stays validation only.
        (["train/loss", "progress/xent", "progress/ppl", "valid/xent", "valid/ppl"], (None, "valid/xent")),
        # One shared metric is too little to read a prefix as the train split.
        (["progress/xent", "progress/ppl", "valid/xent"], (None, "valid/xent")),
        # Two prefixes mirror `valid/`: neither is chosen.
        (["a/xent", "a/ppl", "b/xent", "b/ppl", "valid/xent", "valid/ppl"], (None, "valid/xent")),
    ],
)
def test_a_prefix_mirroring_the_validation_prefix_is_the_train_side(tags, expected):
    (run,) = group_runs({"r": tags})
    xent = run.metric("xent")
    assert (xent.train and xent.train.tag, xent.validation.tag) == expected


def test_a_split_folder_with_a_qualifier_joins_its_siblings_only_beside_both_splits():
    """fairseq's `train_inner` beside `train` and `valid` is the train split; beside `train` alone it is a run."""
    runs = group_runs({"exp/train": ["loss"], "exp/valid": ["loss"], "exp/train_inner": ["loss", "lr"]})
    assert [(run.name, run.sources) for run in runs] == [("exp", ("exp/train", "exp/train_inner", "exp/valid"))]
    assert (runs[0].metric("loss").train.run, runs[0].learning_rate.run) == ("exp/train", "exp/train_inner")
    alone = group_runs({"exp/train": ["epoch_loss"], "exp/train_inner": ["loss"]})
    assert [run.name for run in alone] == ["exp", "exp/train_inner"]
