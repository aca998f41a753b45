# daemon core (daemon.c)
