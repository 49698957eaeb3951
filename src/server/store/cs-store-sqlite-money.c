/* cs-store-sqlite-money.c: (being written) */
