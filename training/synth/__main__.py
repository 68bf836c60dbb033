from gongkai.training.synth.cli import app

app()
