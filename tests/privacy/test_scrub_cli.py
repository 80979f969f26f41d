"""`flask --app kcc scrub`: masking an id,text CSV file from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

from flask.testing import FlaskCliRunner

from kcc.privacy.masking import mask_personal_data


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> None:
    """Write rows as a CSV file, the way an export would."""
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file).writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    """Read a CSV file back into rows."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_scrub_masks_the_text_column_with_the_same_function(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    texts = [
        "Bel mevrouw Jansen op 06-12345678, graag vóór 20:00 uur.",
        "Wanneer gaan de scholen weer open?",
        'Mail "p.jansen@example.nl",\nBSN 123456782; zaak 123456789',
    ]
    write_csv(source, [["id", "text"], *([str(number), text] for number, text in enumerate(texts))])

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert read_csv(target) == [
        ["id", "text"],
        ["0", "Bel mevrouw [NAAM] op [TELEFOON], graag vóór 20:00 uur."],
        ["1", "Wanneer gaan de scholen weer open?"],
        ["2", 'Mail "[E-MAIL]",\nBSN [BSN]; zaak 123456789'],
    ]
    assert [row[1] for row in read_csv(target)[1:]] == [mask_personal_data(t) for t in texts]
    assert "3 rijen verwerkt" in result.output
    assert "in 2 daarvan" in result.output


def test_scrub_accepts_a_header_with_a_byte_order_mark(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "excel.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["7", "Bel 0612345678"]], encoding="utf-8-sig")

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert read_csv(target) == [["id", "text"], ["7", "Bel [TELEFOON]"]]


def test_scrub_refuses_a_file_without_the_id_text_header(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["nummer", "vraag"], ["1", "Bel 0612345678"]])

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(target)])

    assert result.exit_code != 0
    assert "De eerste regel moet de kolomnamen id,text bevatten." in result.output
    assert not target.exists()


def test_scrub_refuses_a_row_with_the_wrong_number_of_columns(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["1", "goed"], ["2", "te", "veel"]])

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(target)])

    assert result.exit_code != 0
    assert "Regel 3 heeft 3 kolommen" in result.output
    assert not target.exists()


def test_scrub_names_a_missing_input_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "bestaat-niet.csv"

    result = runner.invoke(
        args=["scrub", "--input", str(missing), "--output", str(tmp_path / "out.csv")]
    )

    assert result.exit_code != 0
    assert f"Invoerbestand {missing} bestaat niet" in result.output


def test_scrub_refuses_to_overwrite_its_own_input(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_csv(source, [["id", "text"], ["1", "Bel 0612345678"]])

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(source)])

    assert result.exit_code != 0
    assert "ander bestand" in result.output
    assert read_csv(source) == [["id", "text"], ["1", "Bel 0612345678"]]


def test_scrub_refuses_input_that_is_not_utf8(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source, [["id", "text"], ["1", "Café in Hilversum"]], encoding="cp1252")

    result = runner.invoke(args=["scrub", "--input", str(source), "--output", str(target)])

    assert result.exit_code != 0
    assert "geen UTF-8" in result.output
