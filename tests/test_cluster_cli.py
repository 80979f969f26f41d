"""`flask --app kcc cluster`: grouping the questions of an id,text CSV from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import Result
from flask.testing import FlaskCliRunner

AVONDKLOK = (
    "Hoe laat begint de avondklok?",
    "vanaf hoe laat geldt de avondklok",
    "hoe laat gaat de avondklok in",
)


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> None:
    """Write rows as a CSV file, the way an export would."""
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file).writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    """Read a CSV file back into rows."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def run_cluster(runner: FlaskCliRunner, source: Path, target: Path, *extra: str) -> Result:
    """Invoke the cluster command on source, writing target."""
    return runner.invoke(args=["cluster", "--input", str(source), "--output", str(target), *extra])


def test_cluster_writes_a_label_per_question_in_input_order(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    texts = [AVONDKLOK[0], "Is de milieustraat zaterdag open?", *AVONDKLOK[1:]]
    write_csv(source, [["id", "text"], *([f"q{n}", text] for n, text in enumerate(texts))])

    result = run_cluster(runner, source, target)

    assert result.exit_code == 0, result.output
    assert read_csv(target) == [
        ["id", "cluster"],
        ["q0", "0"],
        ["q1", "-1"],
        ["q2", "0"],
        ["q3", "0"],
    ]
    assert "4 vragen, 1 clusters, 1 niet geclusterd." in result.output


def test_cluster_masks_personal_data_before_clustering(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    # Unmasked, the different numbers and names would make these three notes differ.
    texts = [
        "Mevrouw Jansen vraagt of haar leefgeld al is overgemaakt, bel 06-12345678",
        "Meneer de Vries vraagt of zijn leefgeld al is overgemaakt, bel 020-7654321",
        "Mevrouw Bakker vraagt of haar leefgeld al is overgemaakt, bel +31 6 87654321",
    ]
    write_csv(source, [["id", "text"], *([str(n), text] for n, text in enumerate(texts))])

    result = run_cluster(runner, source, target, "--min-cluster-size", "3")

    assert result.exit_code == 0, result.output
    assert read_csv(target)[1:] == [["0", "0"], ["1", "0"], ["2", "0"]]
    assert "06-12345678" not in target.read_text(encoding="utf-8")


def test_cluster_respects_the_minimum_cluster_size(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], *([str(n), text] for n, text in enumerate(AVONDKLOK))])

    result = run_cluster(runner, source, target, "--min-cluster-size", "4")

    assert result.exit_code == 0, result.output
    assert [row[1] for row in read_csv(target)[1:]] == ["-1", "-1", "-1"]
    assert "3 vragen, 0 clusters, 3 niet geclusterd." in result.output


def test_cluster_accepts_a_header_with_a_byte_order_mark(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "excel.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["7", AVONDKLOK[0]]], encoding="utf-8-sig")

    result = run_cluster(runner, source, target)

    assert result.exit_code == 0, result.output
    assert read_csv(target) == [["id", "cluster"], ["7", "-1"]]


def test_cluster_names_a_missing_input_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "bestaat-niet.csv"

    result = run_cluster(runner, missing, tmp_path / "out.csv")

    assert result.exit_code == 1
    assert f"Invoerbestand {missing} bestaat niet" in result.output


def test_cluster_refuses_a_file_without_the_id_text_header(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["nummer", "vraag"], ["1", AVONDKLOK[0]]])

    result = run_cluster(runner, source, target)

    assert result.exit_code == 1
    assert "De eerste regel moet de kolomnamen id,text bevatten." in result.output
    assert not target.exists()


def test_cluster_refuses_a_row_with_the_wrong_number_of_columns(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["1", "goed"], ["2", "te", "veel"]])

    result = run_cluster(runner, source, target)

    assert result.exit_code == 1
    assert "Regel 3 heeft 3 kolommen" in result.output
    assert not target.exists()


def test_cluster_refuses_an_input_without_questions(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"]])

    result = run_cluster(runner, source, target)

    assert result.exit_code == 1
    assert "Het invoerbestand bevat geen vragen." in result.output
    assert not target.exists()


def test_cluster_refuses_input_that_is_not_utf8(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["1", "Café in Hilversum"]], encoding="cp1252")

    result = run_cluster(runner, source, target)

    assert result.exit_code == 1
    assert "geen UTF-8" in result.output


def test_cluster_refuses_a_minimum_size_below_two(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_csv(source, [["id", "text"], ["1", AVONDKLOK[0]]])

    result = run_cluster(runner, source, tmp_path / "out.csv", "--min-cluster-size", "1")

    assert result.exit_code == 2
    assert "--min-cluster-size" in result.output
