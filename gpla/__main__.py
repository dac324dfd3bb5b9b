from gpla.cli import main

main()
