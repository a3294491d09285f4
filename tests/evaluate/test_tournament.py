"""The tournament evaluator: efficiency benchmarks, determinism across workers, spec
validation, outputs and the ``elecbay evaluate`` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from elecbay_evaluate import tournament as tm
from elecbay_evaluate.metrics import MARKET_METRICS

EXACT = str(Path(__file__).with_name("exact_market.yaml"))
SMALL_NO_ERRORS = {
    "market.days": 1,
    "producers.1.forecast_error.std_frac": 0.0,
    "consumers.0.forecast_error.std_frac": 0.0,
    "consumers.1.forecast_error.std_frac": 0.0,
}
TRUTHFUL = {"name": "truthful", "policies": {"*": "merit_order"}}


def _registry_has(name: str) -> bool:
    try:
        from elecbay_agents import registry
    except ImportError:
        return False
    return name in registry.policy_names()


def _run(spec: dict, workers: int = 1) -> tm.TournamentResult:
    return tm.run_tournament(spec, workers=workers, progress=False)


# ------------------------------------------------------------------ efficiency


def test_truthful_play_without_forecast_errors_is_fully_efficient():
    """Every truthful quantity of this market is exact in float32: efficiency is 1."""
    r = _run({"scenarios": [EXACT], "seeds": [0, 1], "entries": [TRUTHFUL]})
    for ep in r.episodes:
        assert ep["max_surplus"] > 0
        assert abs(ep["efficiency"] - 1.0) < 1e-9
        assert ep["offer_acceptance"] < 1.0 and ep["bid_acceptance"] == pytest.approx(1.0)


def test_truthful_play_on_small_is_efficient_to_the_codec_resolution():
    """Shipped scenarios: decoded quantities carry float32 rounding (about 6e-8 of each
    action range), so truthful play scores 1 within 1e-7, not exactly."""
    spec = {"scenarios": [{"name": "small", "overrides": SMALL_NO_ERRORS}], "seeds": [0, 1],
            "entries": [TRUTHFUL]}  # fmt: skip
    r = _run(spec)
    for ep in r.episodes:
        assert abs(ep["efficiency"] - 1.0) < 1e-7


@pytest.mark.parametrize("policy", ["markup:2", "withhold:0.5"])
def test_a_strategic_base_unit_lowers_efficiency(policy):
    name = policy.split(":")[0]
    if not _registry_has(name):
        pytest.skip(f"the policy registry has no {name!r} policy")
    spec = {
        "scenarios": [EXACT],
        "seeds": [0, 1],
        "entries": [TRUTHFUL, {"name": "strategic", "policies": {"producer_0": policy}}],
    }
    r = _run(spec)  # fmt: skip
    truthful, strategic = (m["metrics"]["efficiency"]["mean"] for m in r.markets)
    assert truthful == pytest.approx(1.0, abs=1e-9)
    # the smelter (150 MW at 50 per MWh) is priced out: (50 - 20) x 150 x 0.5 per period
    assert strategic == pytest.approx(1.0 - 2250.0 / 450250.0, rel=1e-6)
    profit = {(x["entry"], x["agent"]): x["mean"] for x in r.agents if x["level"] == "agent"}
    assert profit[("strategic", "consumer_1")] < profit[("truthful", "consumer_1")]


# ------------------------------------------------------------------ determinism


def test_results_are_identical_for_one_and_two_workers(tmp_path):
    spec = {
        "scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
        "seeds": [3, 1, 2],
        "entries": [TRUTHFUL, {"name": "zi", "policies": {"*": "zi_c"}}],
        "deterministic": False,
    }
    if not _registry_has("zi_c"):
        spec["entries"] = [TRUTHFUL]
    one, two = _run(spec, workers=1), _run(spec, workers=2)
    assert two.workers == 2
    assert repr(one.episodes) == repr(two.episodes)  # repr: NaN prices compare equal
    assert repr(one.agents) == repr(two.agents)
    tm.write_outputs(one, tmp_path / "one")
    tm.write_outputs(two, tmp_path / "two")
    for name in ("results.csv", "agents.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    # sorted by (scenario, entry, seed) in spec order, not by completion
    keys = [(e["entry"], e["seed"]) for e in one.episodes]
    assert keys == [(e, s) for e in [x["name"] for x in spec["entries"]] for s in (3, 1, 2)]


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "change, field",
    [
        ({"entries": [{"name": "x", "policies": {"prod_1": "merit_order"}}]}, "entries.0.policies"),
        ({"entries": [{"name": "x", "polices": {}}]}, "entries.0.polices"),
        ({"entries": [TRUTHFUL, TRUTHFUL]}, "entries"),
        ({"entries": []}, "entries"),
        ({"seeds": [0, -1]}, "seeds.1"),
        ({"seeds": [1, 1]}, "seeds"),
        ({"n_seeds": 0}, "n_seeds"),
        ({"n_seeds": 3}, "seeds, n_seeds"),
        ({"confidence": 1.5}, "confidence"),
        ({"scenarios": []}, "scenarios"),
        ({"scenarios": ["small", "small"]}, "scenarios"),
        ({"scenarios": [{"name": "small", "overide": {}}]}, "scenarios.0.overide"),
        ({"turnaments": 1}, "turnaments"),
    ],
)
def test_spec_errors_name_the_field(change, field):
    spec = {"scenarios": ["small"], "seeds": [0], "entries": [TRUTHFUL], **change}
    with pytest.raises(tm.SpecError) as err:
        tm.load_spec(spec)
    assert str(err.value).startswith(f"{field}:") or f"\n{field}:" in str(err.value)


@pytest.mark.parametrize(
    "entry, scenario, field",
    [
        ({"producer_9": "merit_order"}, "small", "entries.0.policies.producer_9"),
        ({"producer_0": "no_such_policy"}, "small", "entries.0.policies.producer_0"),
        ({"producer_0": "markup:abc"}, "small", "entries.0.policies.producer_0"),
        ({"*": "merit_order"}, "no_such_scenario", "scenarios.0"),
        ({"*": "merit_order"}, {"name": "small", "overrides": {"market.days": 0}}, "scenarios.0"),
    ],
)
def test_spec_checks_against_each_scenario_name_the_field(entry, scenario, field):
    spec = tm.load_spec({"scenarios": [scenario], "seeds": [0],
                         "entries": [{"name": "e", "policies": entry}]})  # fmt: skip
    with pytest.raises(tm.SpecError) as err:
        tm.check_spec(spec)
    assert str(err.value).startswith(f"{field}")


def test_seed_rules_and_cli_style_updates():
    spec = tm.load_spec({"scenarios": ["small"], "n_seeds": 3, "seed0": 10, "entries": [TRUTHFUL]})
    assert spec.seed_list() == [10, 11, 12]
    assert tm.load_spec({"scenarios": ["small"], "entries": [TRUTHFUL]}).seed_list() == list(
        range(tm.DEFAULT_N_SEEDS)
    )
    new = tm.update_spec(spec.model_copy(update={"seeds": None}), n_seeds=2, seed0=0, days=2)
    assert new.seed_list() == [0, 1]
    assert new.scenarios[0].overrides == {"market.days": 2}
    explicit = tm.load_spec({"scenarios": ["small"], "seeds": [5, 7], "entries": [TRUTHFUL]})
    assert tm.update_spec(explicit, n_seeds=1).seed_list() == [0]


def test_shipped_example_spec_is_valid():
    assert "example" in tm.shipped_specs()
    spec = tm.load_spec("example")
    tm.check_spec(spec)
    assert len(spec.entries) >= 3 and len(spec.seed_list()) >= 2


# ------------------------------------------------------------------ outputs


def test_outputs_are_written(tmp_path):
    spec = {
        "name": "tiny",
        "scenarios": [EXACT],
        "seeds": [0, 1, 2],
        "entries": [TRUTHFUL, {"name": "base_markup", "policies": {"producer_0": "markup:2"}}],
    }
    if not _registry_has("markup"):
        spec["entries"] = [TRUTHFUL]
    r = _run(spec)  # fmt: skip
    files = tm.write_outputs(r, tmp_path)
    assert [f.name for f in files] == list(tm.OUTPUT_FILES)
    assert all(f.stat().st_size > 0 for f in files)
    rows = (tmp_path / "results.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[:4] == ["scenario", "entry", "seed", "n_periods"]
    assert set(MARKET_METRICS) <= set(header) and "profit_producer_0" in header
    assert len(rows) == 1 + len(spec["entries"]) * 3
    agents = (tmp_path / "agents.csv").read_text().splitlines()
    assert agents[0].startswith("scenario,entry,level,agent,asset,role,policy,n_agents,n_seeds")
    assert any(",agent,producer_0,base,producer," in line for line in agents)
    assert any(",policy,," in line for line in agents) and any(",agent," in line for line in agents)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_episodes"] == len(rows) - 1 and summary["seeds"] == [0, 1, 2]
    eff = summary["markets"][0]["metrics"]["efficiency"]
    assert eff["ci_low"] <= eff["mean"] <= eff["ci_high"]
    report = (tmp_path / "report.md").read_text()
    for needle in (
        "# Tournament: tiny",
        "| scenario | entry |",
        "(efficiency.png)",
        "(prices.png)",
        "(profit_per_policy.png)",
        "## Profit per agent",
    ):
        assert needle in report  # fmt: skip
    assert (tmp_path / "prices.png").read_bytes()[:4] == b"\x89PNG"


def test_one_seed_gives_nan_intervals_and_says_so(tmp_path):
    r = _run({"scenarios": [EXACT], "seeds": [4], "entries": [TRUTHFUL]})
    assert any("at least 3 seeds" in n for n in r.notes)
    row = next(x for x in r.agents if x["agent"] == "producer_0")
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]) and math.isfinite(row["mean"])
    tm.write_outputs(r, tmp_path)
    assert "at least 3 seeds" in (tmp_path / "report.md").read_text()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["markets"][0]["metrics"]["efficiency"]["ci_low"] is None


def test_agent_profits_sum_to_welfare():
    r = _run({"scenarios": [{"name": "small", "overrides": {"market.days": 1}}], "seeds": [0],
              "entries": [TRUTHFUL]})  # fmt: skip
    ep = r.episodes[0]
    assert sum(ep["profit"].values()) == pytest.approx(ep["welfare"], rel=1e-12)
    assert ep["policy"]["broker_0"] == "rule_based_broker"  # '*' falls through to the baseline
    assert ep["policy"]["producer_0"] == "merit_order"


# ------------------------------------------------------------------ command line


def test_cli_evaluate_on_a_tiny_spec(tmp_path, capsys):
    from elecbay_app.cli import main

    spec = {"name": "cli", "scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
            "n_seeds": 2, "entries": [TRUTHFUL]}  # fmt: skip
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    assert main(["evaluate", str(path), "--out", str(out), "--workers", "2"]) == 0
    text = capsys.readouterr().out
    assert "| small | truthful | 2 |" in text and f"wrote {len(tm.OUTPUT_FILES)} files" in text
    assert "welfare diff vs truthful" in text and "(baseline)" in text
    assert sorted(p.name for p in out.iterdir()) == sorted(tm.OUTPUT_FILES)
    lines = (out / "results.csv").read_text().splitlines()
    assert len(lines) == 3


def test_cli_evaluate_from_options_only(tmp_path, capsys):
    from elecbay_app.cli import main

    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            "--scenario",
            EXACT,
            "--seeds",
            "2",
            "--seed0",
            "5",
            "--quiet",
            "--workers",
            "1",
            "--out",
            str(out),
            "--entry",
            "t",
            "*=merit_order",
        ]
    )
    assert code == 0 and capsys.readouterr().out == ""  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [5, 6]
    assert summary["spec"]["entries"] == [{"name": "t", "policies": {"*": "merit_order"}}]


def test_cli_evaluate_help_and_errors(tmp_path, capsys):
    from elecbay_app.cli import main

    assert main(["evaluate", "--help"]) == 0
    assert "results.csv" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"scenarios": ["small"], "entries": [
        {"name": "x", "policies": {"producer_9": "merit_order"}}]}))  # fmt: skip
    assert main(["evaluate", str(bad), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("elecbay evaluate: error: entries.0.policies.producer_9")
    assert main(["evaluate", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["evaluate", "example", "--workers", "0", "--quiet"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["evaluate"]) == 2
    assert "give a SPEC file" in capsys.readouterr().err
