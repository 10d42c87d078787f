"""The world a seed generates: a standalone account or an organization, their images and
shares, and images of outside accounts shared into them. Same seed, same world."""
