/* cs-kyc-provider.c: (being written) */
