/* cs-gateway-sandbox.c: (being written) */
