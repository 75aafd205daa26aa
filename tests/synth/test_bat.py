"""The synthetic generator's brown adipose tissue depots: the BAT rule recovers them."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.bat import BatSettings, BatStatus, bat_mask
from radiogenomics.preprocess.regrid import resample_to_reference
from radiogenomics.synth import generate_patient

# ---------------------------------------------------------------------------------------------- synthetic
# Patients 0–15 of seed 5 on the tiny grid: 4 with active brown adipose tissue, 12 without.
SEED = 5


@pytest.fixture(scope="module")
def patients():
    return [generate_patient(i, 0.0, SEED, "tiny") for i in range(16)]


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float(np.count_nonzero(a & b)) / max(int(a.sum() + b.sum()), 1)


def test_rule_recovers_planted_depots(patients) -> None:
    """The seed study's rule (tumour excluded) finds the planted depots (Dice ≥ 0.7) and, without active
    BAT, nothing; also true of the bare rule on the depots' own neighbourhood."""
    active = [p for p in patients if p.spec.bat_active]
    inactive = [p for p in patients if not p.spec.bat_active]
    assert len(active) >= 3 and len(inactive) >= 3
    dices = []
    for p in active:
        res = bat_mask(p.ct, p.pet, tumour=p.tumour)
        depots = p.bat_depots.array > 0
        dices.append(_dice(res.mask.array, depots))
        assert res.status is BatStatus.found
        assert _dice(bat_mask(p.ct, p.pet).mask.array, depots) >= 0.7  # bare rule, no exclusion
    assert min(dices) >= 0.7, dices
    for p in inactive:
        res = bat_mask(p.ct, p.pet, tumour=p.tumour)
        assert res.volume_ml <= 0.5, (p.spec.case_id, res.volume_ml)  # empty or tiny
        assert bat_mask(p.ct, p.pet, BatSettings(min_component_ml=0.5), tumour=p.tumour).empty


def test_depot_labels_and_uptake(patients) -> None:
    for p in patients:
        labels = set(np.unique(p.bat_depots.array).tolist()) - {0}
        if not p.spec.bat_active:
            assert labels == set()
            continue
        assert {1, 2} <= labels <= {1, 2, 3, 4}
        assert (3 in labels) == p.spec.bat_paravertebral
        suv = resample_to_reference(p.pet, p.ct).array[p.bat_depots.array > 0]
        hu = p.ct.array[p.bat_depots.array > 0]
        assert np.median(suv) > 1.5 and -190 <= np.median(hu) <= -10
