/* cs-money-service.c: (being written) */
