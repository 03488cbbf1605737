from bench.fanout import main

main()
