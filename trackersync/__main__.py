from trackersync.cli import main

main()
