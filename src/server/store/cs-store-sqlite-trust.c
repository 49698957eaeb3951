/* cs-store-sqlite-trust.c: (being written) */
