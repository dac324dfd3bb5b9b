from gpla.cli import main

if __name__ == "__main__":  # vLLM's CPU engine starts its workers with spawn
    main()
