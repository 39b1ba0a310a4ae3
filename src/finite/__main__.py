from finite.cli import main

main()
