"""Training runs and metric pairs found from TensorBoard run and tag names."""

import pytest

from tb_overfit_plugin.grouping import ROOT_RUN, group_runs


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
    described = _describe({"exp1/Loss_train": ["Loss"], "exp1/Loss_val": ["Loss"], "Acc_train": ["Acc"], "Acc_test": ["Acc"]})
    assert described == {
        ROOT_RUN: {"Acc": ("Acc_train:Acc", "Acc_test:Acc", False)},
        "exp1": {"Loss": ("exp1/Loss_train:Loss", "exp1/Loss_val:Loss", False)},
    }


def test_tensorboardx_add_scalars_nested_runs_group_under_parent():
    described = _describe({"exp1/Loss/train": ["Loss"], "exp1/Loss/val": ["Loss"],
                           "exp1/Loss/total/train": ["Loss/total"], "exp1/Loss/total/test": ["Loss/total"]})
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
