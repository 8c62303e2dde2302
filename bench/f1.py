"""F1, the floor of hmic's stack for one command: a one-option typer app (issue 18).

typer coerces every parameter through pydantic, as each hmic command does, so F1 is what any typer
command costs before it does anything. bench/run.py times `python bench/f1.py --name x`.
"""

import typer

app = typer.Typer()


@app.command()
def main(name: str = typer.Option("world", "--name")) -> None:
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
