from training.synth.cli import app

app()
