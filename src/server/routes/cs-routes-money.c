/* cs-routes-money.c: (being written) */
