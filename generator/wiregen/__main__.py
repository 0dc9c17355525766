from wiregen.cli import main

main()
