"""Operations: process heartbeats and the other views an operator keeps on a deployment."""
