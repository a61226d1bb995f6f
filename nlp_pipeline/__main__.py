from nlp_pipeline.cli.main import main

main()
