import pytest

from cleaner.config import Config, ConfigError


def test_defaults_validate():
    cfg = Config()
    cfg.validate()
    assert cfg.dedup.documents.threshold == 0.8


def test_toml_then_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[dedup.documents]\nthreshold = 0.9\nngram = 3\n[run]\nworkers = 2\n")
    cfg = Config.load(path)
    assert cfg.dedup.documents.threshold == 0.9 and cfg.dedup.documents.ngram == 3 and cfg.run.workers == 2
    cfg2 = cfg.with_overrides({"dedup.documents.threshold": 0.7, "run.workers": None})
    assert cfg2.dedup.documents.threshold == 0.7 and cfg2.run.workers == 2
    assert cfg.dedup.documents.threshold == 0.9  # the original is unchanged


@pytest.mark.parametrize("toml, message", [
    ("[dedup]\nthresold = 1\n", "unknown key 'thresold' in [dedup]"),
    ("[dedup.documents]\nthreshold = 'high'\n", "dedup.documents.threshold must be float"),
    ("[dedup.documents]\nthreshold = 1.5\n", "dedup.documents.threshold must be in (0, 1]"),
    ("[run]\nworkers = true\n", "run.workers must be int"),
    ("dedup = 3\n", "[dedup] must be a table"),
    ("[input]\nkind = 'pdf'\n", "input.kind must be one of"),
    ("not toml [", "is not valid TOML"),
])
def test_bad_config_says_what_to_fix(tmp_path, toml, message):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=None) as err:
        Config.load(path)
    assert message in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        Config.load(tmp_path / "none.toml")
