"""The nnU-Net v2 trainer variant used by :mod:`radiogenomics.segment.nnunet` (imports ``nnunetv2``).

:class:`RadiogenomicsTrainer` is nnU-Net's ``nnUNetTrainer`` — same network, loss (Dice + CE with deep
supervision), SGD with polynomial learning-rate decay, augmentation and patch sampling — with:

- epochs, iterations per epoch, validation iterations per epoch, the initial learning rate and how often
  ``checkpoint_latest.pth`` is written (``save_every`` epochs; nnU-Net: 50) set by
  :meth:`RadiogenomicsTrainer.configure` (instead of a trainer class per epoch count); an interrupted fold
  continues from ``checkpoint_latest.pth`` through nnU-Net's own :meth:`load_checkpoint`;
- checkpoints written atomically (to ``<name>.part``, then renamed), so a run killed while writing one
  leaves the previous checkpoint whole;
- nnU-Net's own best-checkpoint rule unchanged: ``checkpoint_best.pth`` holds the weights of the epoch with
  the highest exponential moving average of the validation pseudo-Dice,
  :math:`\\mathrm{ema}_t = 0.9\\,\\mathrm{ema}_{t-1} + 0.1\\,\\mathrm{Dice}_t`;
- its console output sent to this module's logger (DEBUG) instead of printed (the log file is still written);
- no network-architecture plot (it needs graphviz binaries and is not used);
- an optional ``epoch_callback(epoch, epochs, train_loss, val_pseudo_dice)`` after every epoch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

__all__ = ["RadiogenomicsTrainer"]

logger = logging.getLogger(__name__)


class RadiogenomicsTrainer(nnUNetTrainer):
    """``nnUNetTrainer`` with a configurable schedule, logging instead of printing (module docstring)."""

    epoch_callback: Callable[[int, int, float, float], None] | None = None

    def configure(self, epochs: int, iterations_per_epoch: int, val_iterations_per_epoch: int,
                  learning_rate: float, save_every: int = 1) -> None:
        """Set the training schedule (call before :meth:`load_checkpoint` and :meth:`run_training`).

        ``checkpoint_latest.pth`` is written after every ``save_every``-th epoch but the last (nnU-Net's rule;
        the last epoch writes ``checkpoint_final.pth`` and removes ``checkpoint_latest.pth``).
        """
        self.num_epochs = int(epochs)
        self.num_iterations_per_epoch = int(iterations_per_epoch)
        self.num_val_iterations_per_epoch = int(val_iterations_per_epoch)
        self.initial_lr = float(learning_rate)
        self.save_every = max(1, int(save_every))

    def save_checkpoint(self, filename: str) -> None:
        part = f"{filename}.part"
        super().save_checkpoint(part)
        if os.path.isfile(part):  # nothing is written when checkpointing is disabled
            os.replace(part, filename)

    def print_to_log_file(self, *args, also_print_to_console: bool = True, add_timestamp: bool = True) -> None:
        super().print_to_log_file(*args, also_print_to_console=False, add_timestamp=add_timestamp)
        logger.debug(" ".join(str(a) for a in args))

    def plot_network_architecture(self) -> None:
        return None

    def on_epoch_end(self) -> None:
        epoch = self.current_epoch
        super().on_epoch_end()
        if self.epoch_callback is not None:
            log = self.logger.local_logger.my_fantastic_logging
            self.epoch_callback(epoch + 1, self.num_epochs, float(log["train_losses"][-1]),
                                float(log["mean_fg_dice"][-1]))
