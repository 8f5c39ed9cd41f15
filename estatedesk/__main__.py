from estatedesk.cli import main

main()
