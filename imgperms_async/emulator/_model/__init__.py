"""The emulated AWS as data: accounts and the organization, their images and shares, who
receives which image, and the Security Hub findings imported into each account and region."""
